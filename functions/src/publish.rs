//! Keeping the public site in step with the records: the generator fed from the store, a local
//! publisher that refreshes after changes (debounced, in the background), and the notice the
//! API functions send after a change.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{Datelike, Timelike};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use tokio::sync::{mpsc, Mutex, Notify};
use tokio::task::JoinHandle;
use xycz_domain::Catalog;
use xycz_site::{
    BuildMode, BuildSummary, FullBuildRequired, PublicRecordInput, RecordState, RecordStatus,
    SiteConfig,
};
use xycz_store::{RecordState as StoredState, SiteRecord, Store};

/// Records read per database round trip while building.
const PAGE: u32 = 500;

/// How long the local publisher waits for more changes before it rebuilds.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// How often the local publisher checkpoints the database when nothing changes records.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(60);

/// Told after every change to records; decides how and when the site follows.
pub trait Publisher: Send + Sync + 'static {
    /// Records of `dataset` changed.
    fn changed<'a>(&'a self, dataset: &'a str) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;
}

/// Drops change notices (tests of the API alone, and functions without a queue).
pub struct NoPublisher;

impl Publisher for NoPublisher {
    fn changed<'a>(&'a self, _dataset: &'a str) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        Box::pin(async {})
    }
}

/// Builds the site from the store: a full build, or an incremental one that rewrites the pages
/// of the records changed since the last build. Builds never overlap.
pub struct SiteBuilder {
    store: Store,
    catalog: Arc<Catalog>,
    config: SiteConfig,
    /// The highest `changed_seq` the last successful build included; `None` before the first.
    built_seq: Mutex<Option<i64>>,
}

impl SiteBuilder {
    pub fn new(store: Store, catalog: Arc<Catalog>, config: SiteConfig) -> SiteBuilder {
        SiteBuilder {
            store,
            catalog,
            config,
            built_seq: Mutex::new(None),
        }
    }

    /// Where the site is written.
    pub fn output_dir(&self) -> &std::path::Path {
        &self.config.output_dir
    }

    /// Builds in full, or incrementally from the changes since the last build (the first build
    /// of a process is always full, and so is any build the generator cannot do incrementally).
    pub async fn build(&self, full: bool) -> Result<BuildSummary> {
        let mut built_seq = self.built_seq.lock().await;
        let latest = self.store.latest_change_seq().await?;
        let units: HashMap<i64, String> = self
            .store
            .list_units()
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        let started = std::time::Instant::now();
        let (readers, changes) = match *built_seq {
            Some(since) if !full => {
                let (readers, changes) =
                    read_changes(&self.store, Arc::new(units.clone()), since, latest);
                (readers, Some(changes))
            }
            _ => (Vec::new(), None),
        };

        let mut config = self.config.clone();
        config.today = crate::checked::china_day(chrono::Utc::now());
        let catalog = self.catalog.clone();
        let store = self.store.clone();
        let runtime = tokio::runtime::Handle::current();
        let built = tokio::task::spawn_blocking(move || {
            if let Some(changes) = changes {
                // The pages of the changed records are rendered while they are read.
                match xycz_site::build(&config, &catalog, changes, BuildMode::ChangedRecords) {
                    Err(e) if e.downcast_ref::<FullBuildRequired>().is_some() => {
                        tracing::info!("{e}");
                    }
                    other => return other,
                }
            }
            let mut records = StoreRecords::new(store, runtime, &catalog, units);
            let summary = xycz_site::build(&config, &catalog, &mut records, BuildMode::Full);
            match records.error.take() {
                // A full build from a partial record set would drop pages: report it, and
                // the next build is full again.
                Some(error) => Err(error.context("reading the records for the site failed")),
                None => summary,
            }
        })
        .await
        .context("the site build thread failed")?;

        // An incremental build that missed changed records must not count as done: the next
        // build is full. (After a full build instead, the readers were stopped on purpose.)
        let mut read = 0;
        for reader in readers {
            match reader.await.context("a reading task failed")? {
                Ok(count) => read += count,
                Err(error) if matches!(&built, Ok(summary) if summary.incremental) => {
                    *built_seq = None;
                    return Err(error.context("reading the changed records failed"));
                }
                Err(_) => {}
            }
        }
        if matches!(&built, Ok(summary) if summary.incremental) {
            tracing::info!(
                records = read,
                ms = started.elapsed().as_millis() as u64,
                "changed records read and rendered"
            );
        }

        match built {
            Ok(summary) => {
                *built_seq = Some(latest);
                Ok(summary)
            }
            Err(error) => {
                *built_seq = None;
                Err(error)
            }
        }
    }
}

/// Batches of changed records in flight between the readers and the generator.
const BATCHES_IN_FLIGHT: usize = 8;

/// Starts reading the current version of every record changed after `since` up to `latest`,
/// whatever its state: a long range in two halves at once (two tasks, two connections), since
/// decoding the rows is most of the work. Returns the reading tasks, which give the number of
/// records they read, and the records as they come, for a blocking thread.
fn read_changes(
    store: &Store,
    units: Arc<HashMap<i64, String>>,
    since: i64,
    latest: i64,
) -> (Vec<JoinHandle<Result<usize>>>, ReceivedRecords) {
    let middle = if latest - since > 4 * i64::from(PAGE) {
        since + (latest - since) / 2
    } else {
        latest
    };
    let (sender, receiver) = mpsc::channel(BATCHES_IN_FLIGHT);
    // Every change has its own sequence number, so a record is in one half at most.
    let readers = [(since, middle), (middle, latest)]
        .into_iter()
        .map(|(after, up_to)| {
            tokio::spawn(send_changes(
                store.clone(),
                units.clone(),
                after,
                up_to,
                sender.clone(),
            ))
        })
        .collect();
    let records = ReceivedRecords {
        receiver,
        batch: Vec::new().into_iter(),
    };
    (readers, records)
}

/// Sends the records changed after `after` up to `up_to`, page by page, as the generator takes
/// them; returns how many.
async fn send_changes(
    store: Store,
    units: Arc<HashMap<i64, String>>,
    mut after: i64,
    up_to: i64,
    sender: mpsc::Sender<Vec<PublicRecordInput>>,
) -> Result<usize> {
    let mut sent = 0;
    while after < up_to {
        let page = store.changes_between(after, up_to, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.changed_seq;
        sent += page.len();
        let batch = page
            .into_iter()
            .map(|record| public_input(record, &units))
            .collect();
        if sender.send(batch).await.is_err() {
            anyhow::bail!("the site build stopped taking changed records");
        }
    }
    Ok(sent)
}

/// The changed records as the readers send them, for the generator on a blocking thread.
struct ReceivedRecords {
    receiver: mpsc::Receiver<Vec<PublicRecordInput>>,
    batch: std::vec::IntoIter<PublicRecordInput>,
}

impl Iterator for ReceivedRecords {
    type Item = PublicRecordInput;

    fn next(&mut self) -> Option<PublicRecordInput> {
        loop {
            if let Some(record) = self.batch.next() {
                return Some(record);
            }
            self.batch = self.receiver.blocking_recv()?.into_iter();
        }
    }
}

/// A stored record as the generator takes it.
fn public_input(record: SiteRecord, units: &HashMap<i64, String>) -> PublicRecordInput {
    let values = match serde_json::from_str::<FieldTexts>(&record.values_json) {
        Ok(FieldTexts(values)) => values,
        Err(error) => {
            tracing::warn!(id = record.id, %error, "a record's values are not a JSON object");
            BTreeMap::new()
        }
    };
    let status = match record.state {
        StoredState::Active => RecordStatus::Active,
        StoredState::Revoked => RecordStatus::Revoked,
        StoredState::Deleted => RecordStatus::Deleted,
    };
    let at = record.updated_at + chrono::TimeDelta::hours(8);
    PublicRecordInput {
        id: record.id,
        dataset: record.dataset,
        unit_name: units.get(&record.unit_id).cloned().unwrap_or_default(),
        values,
        state: RecordState {
            status,
            ..RecordState::default()
        },
        // China time, e.g. `2026-03-01 10:20`.
        updated_at: format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            at.year(),
            at.month(),
            at.day(),
            at.hour(),
            at.minute()
        ),
    }
}

/// A record's values as the pages show them, parsed straight from the stored JSON object: text
/// as it is, other values written out as JSON, empty (null) fields left out.
struct FieldTexts(BTreeMap<String, String>);

impl<'de> Deserialize<'de> for FieldTexts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = FieldTexts;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object of field values")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FieldTexts, A::Error> {
                let mut values = BTreeMap::new();
                while let Some((key, value)) = map.next_entry::<String, FieldText>()? {
                    if let Some(text) = value.0 {
                        values.insert(key, text);
                    }
                }
                Ok(FieldTexts(values))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// One field value: `None` for null.
struct FieldText(Option<String>);

impl<'de> Deserialize<'de> for FieldText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Null => Ok(FieldText(None)),
            Value::String(text) => Ok(FieldText(Some(text))),
            other => Ok(FieldText(Some(other.to_string()))),
        }
    }
}

/// The active records of every dataset, read page by page from the store while the generator
/// consumes them (on a blocking thread, so waiting on the runtime is allowed).
struct StoreRecords {
    store: Store,
    runtime: tokio::runtime::Handle,
    datasets: Vec<String>,
    units: HashMap<i64, String>,
    dataset: usize,
    after_id: i64,
    buffer: std::vec::IntoIter<SiteRecord>,
    error: Option<anyhow::Error>,
}

impl StoreRecords {
    fn new(
        store: Store,
        runtime: tokio::runtime::Handle,
        catalog: &Catalog,
        units: HashMap<i64, String>,
    ) -> StoreRecords {
        StoreRecords {
            store,
            runtime,
            datasets: catalog.ids().into_iter().map(str::to_owned).collect(),
            units,
            dataset: 0,
            after_id: 0,
            buffer: Vec::new().into_iter(),
            error: None,
        }
    }
}

impl Iterator for StoreRecords {
    type Item = PublicRecordInput;

    fn next(&mut self) -> Option<PublicRecordInput> {
        loop {
            if let Some(record) = self.buffer.next() {
                return Some(public_input(record, &self.units));
            }
            if self.error.is_some() {
                return None;
            }
            let dataset = self.datasets.get(self.dataset)?;
            let page =
                self.runtime
                    .block_on(self.store.publicity_page(dataset, self.after_id, PAGE));
            match page {
                Ok(page) if page.is_empty() => {
                    self.dataset += 1;
                    self.after_id = 0;
                }
                Ok(page) => {
                    self.after_id = page.last().map_or(self.after_id, |r| r.id);
                    self.buffer = page.into_iter();
                }
                Err(error) => self.error = Some(error.into()),
            }
        }
    }
}

/// `xycz serve`'s publisher: after a change, waits briefly for more, then rebuilds
/// incrementally in the background.
pub struct LocalPublisher {
    builder: Arc<SiteBuilder>,
    wake: Arc<Notify>,
    stop: Arc<Notify>,
    task: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl LocalPublisher {
    /// Starts the background task on the current runtime. After each refresh, and at least
    /// every minute, it also checkpoints the database (see [`Store::checkpoint`]).
    pub fn start(builder: Arc<SiteBuilder>) -> Arc<LocalPublisher> {
        let wake = Arc::new(Notify::new());
        let stop = Arc::new(Notify::new());
        let task_builder = builder.clone();
        let (task_wake, task_stop) = (wake.clone(), stop.clone());
        let task = tokio::spawn(async move {
            let mut maintenance = tokio::time::interval(CHECKPOINT_EVERY);
            loop {
                tokio::select! {
                    biased;
                    () = task_stop.notified() => break,
                    () = task_wake.notified() => {
                        tokio::time::sleep(DEBOUNCE).await;
                        refresh(&task_builder).await;
                    }
                    _ = maintenance.tick() => {}
                }
                if let Err(error) = task_builder.store.checkpoint().await {
                    tracing::warn!(error = %error, "database checkpoint failed");
                }
            }
        });
        Arc::new(LocalPublisher {
            builder,
            wake,
            stop,
            task: std::sync::Mutex::new(Some(task)),
        })
    }

    /// Rebuilds now and returns when the pages are written (tests, benchmarks).
    pub async fn flush(&self) -> Result<BuildSummary> {
        self.builder.build(false).await
    }

    /// Stops the background task, after the refresh it may be running, so that the store can
    /// be closed under it.
    pub async fn stop(&self) {
        let task = self.task.lock().ok().and_then(|mut task| task.take());
        if let Some(task) = task {
            self.stop.notify_one();
            let _ = task.await;
        }
    }
}

/// One incremental refresh of the local publisher, logged.
async fn refresh(builder: &SiteBuilder) {
    match builder.build(false).await {
        Ok(summary) => tracing::info!(
            written = summary.pages_written,
            removed = summary.pages_removed,
            public = summary.records_public,
            incremental = summary.incremental,
            ms = summary.elapsed.as_millis() as u64,
            "site refreshed"
        ),
        Err(error) => tracing::error!(error = format!("{error:#}"), "site refresh failed"),
    }
}

impl Publisher for LocalPublisher {
    fn changed<'a>(&'a self, _dataset: &'a str) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        self.wake.notify_one();
        Box::pin(async {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_records_become_generator_input() {
        let record = SiteRecord {
            id: 7,
            unit_id: 2,
            dataset: "penalty".into(),
            state: StoredState::Revoked,
            values_json:
                r#"{"处罚内容":"罚款","罚款金额":1.5,"备注":null,"是否":true,"附件":["a"]}"#.into(),
            changed_seq: 9,
            updated_at: "2026-03-01T17:20:59Z".parse().unwrap(),
        };
        let units = HashMap::from([(2, "长治市市场监督管理局".to_owned())]);
        let input = public_input(record, &units);
        assert_eq!(input.id, 7);
        assert_eq!(input.unit_name, "长治市市场监督管理局");
        assert_eq!(input.state.status, RecordStatus::Revoked);
        // China time, the next day.
        assert_eq!(input.updated_at, "2026-03-02 01:20");
        let expected: BTreeMap<String, String> = [
            ("处罚内容", "罚款"),
            ("罚款金额", "1.5"),
            ("是否", "true"),
            ("附件", r#"["a"]"#),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(input.values, expected);
    }

    #[test]
    fn values_that_are_not_an_object_are_empty() {
        let record = SiteRecord {
            id: 1,
            unit_id: 1,
            dataset: "penalty".into(),
            state: StoredState::Active,
            values_json: "[1, 2]".into(),
            changed_seq: 1,
            updated_at: chrono::Utc::now(),
        };
        assert!(public_input(record, &HashMap::new()).values.is_empty());
    }
}
