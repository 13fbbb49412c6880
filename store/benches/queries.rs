//! Query latency with 1,000,000 records: the upload history and the record list, page 1 and a
//! deep keyset page, filtered by dataset and date, under 32 concurrent clients.
//!
//! `cargo bench -p xycz-store --bench queries` runs SQLite always and PostgreSQL when
//! `XYCZ_BENCH_PG_URL` or `XYCZ_TEST_PG_URL` names a server (see `scripts/pg-test-env`).
//! `XYCZ_BENCH_RECORDS` changes the record count, `XYCZ_BENCH_QUERIES` the queries per client
//! and `XYCZ_BENCH_CLIENTS` the number of concurrent clients.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{QueryBuilder, Sqlite};
use xycz_store::{Db, RecordCursor, RecordFilter, Scope, Store, UploadFilter};

const UNITS: i64 = 50;
const ROWS_PER_UPLOAD: i64 = 50;
const DATASETS: [&str; 2] = ["penalty", "licensing"];
const PAGE_SIZE: u32 = 20;
/// Three years of uploads.
const SPAN_DAYS: i64 = 3 * 365;

fn main() -> Result<()> {
    let records: i64 = env_number("XYCZ_BENCH_RECORDS", 1_000_000)?;
    let queries: usize = env_number("XYCZ_BENCH_QUERIES", 100)?;
    let clients: usize = env_number("XYCZ_BENCH_CLIENTS", 32)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(records, queries, clients))
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> Result<T> {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .map_err(|_| anyhow::anyhow!("{name} must be a number, found {value:?}")),
        Err(_) => Ok(default),
    }
}

async fn run(records: i64, queries: usize, clients: usize) -> Result<()> {
    // XYCZ_BENCH_SQLITE_DIR keeps the SQLite file for a look at query plans afterwards.
    let temp = tempfile::tempdir()?;
    let dir = match std::env::var_os("XYCZ_BENCH_SQLITE_DIR") {
        Some(dir) => std::path::PathBuf::from(dir),
        None => temp.path().to_path_buf(),
    };
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let store = Store::open(&url).await?;
    bench_backend(&store, records, queries, clients).await?;
    store.close().await;

    let pg_url = ["XYCZ_BENCH_PG_URL", "XYCZ_TEST_PG_URL"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|url| !url.is_empty());
    match pg_url {
        Some(server) => {
            let database = xycz_testkit::TestDatabase::create(&server, "xycz_bench").await;
            let result = async {
                let store = Store::open(&database.url).await?;
                let result = bench_backend(&store, records, queries, clients).await;
                store.close().await;
                result
            }
            .await;
            database.remove().await;
            result?;
        }
        None => println!("postgres: skipped (set XYCZ_BENCH_PG_URL or XYCZ_TEST_PG_URL)"),
    }
    Ok(())
}

/// The first day of the generated data.
fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2023, 1, 2, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

struct UploadRow {
    id: i64,
    unit_id: i64,
    dataset: &'static str,
    created_at: DateTime<Utc>,
}

struct RecordRow {
    id: i64,
    unit_id: i64,
    dataset: &'static str,
    upload_id: i64,
    natural_key: String,
    subject_name: String,
    subject_code: String,
    doc_no: String,
    decision_date: NaiveDate,
    values: String,
    state: &'static str,
    created_at: DateTime<Utc>,
}

/// Uploads in time order, each with `ROWS_PER_UPLOAD` records decided up to ten days before.
fn generate(uploads: i64, upload_index: i64, rng: &mut StdRng) -> (UploadRow, Vec<RecordRow>) {
    let id = upload_index + 1;
    let unit_id = rng.gen_range(1..=UNITS);
    let dataset = DATASETS[rng.gen_range(0..DATASETS.len())];
    let seconds = SPAN_DAYS * 86_400 * upload_index / uploads.max(1);
    let created_at = epoch() + TimeDelta::seconds(seconds);
    let upload = UploadRow {
        id,
        unit_id,
        dataset,
        created_at,
    };
    let rows = (0..ROWS_PER_UPLOAD)
        .map(|row| {
            let record_id = upload_index * ROWS_PER_UPLOAD + row + 1;
            let decision_date = (created_at - TimeDelta::days(rng.gen_range(0..10))).date_naive();
            let doc_no = format!("长罚〔{}〕{record_id}号", decision_date.format("%Y"));
            RecordRow {
                id: record_id,
                unit_id,
                dataset,
                upload_id: id,
                natural_key: format!("{doc_no}|91140400MA0{record_id:07}|{decision_date}"),
                subject_name: format!("长治市第{record_id}商贸有限公司"),
                subject_code: format!("91140400MA0{record_id:07}"),
                doc_no: doc_no.clone(),
                decision_date,
                values: serde_json::json!({
                    "行政相对人名称": format!("长治市第{record_id}商贸有限公司"),
                    "行政处罚决定书文号": doc_no,
                    "处罚内容": "罚款人民币伍仟元整",
                    "罚款金额(万元)": "0.5",
                })
                .to_string(),
                state: if rng.gen_ratio(1, 50) {
                    "revoked"
                } else {
                    "active"
                },
                created_at,
            }
        })
        .collect();
    (upload, rows)
}

async fn load(store: &Store, records: i64) -> Result<()> {
    let uploads = (records / ROWS_PER_UPLOAD).max(1);
    let mut rng = StdRng::seed_from_u64(20_260_401);
    let started = Instant::now();

    let mut units = QueryBuilder::new("INSERT INTO units (id, name, code, datasets, created_at) ");
    let mut users = QueryBuilder::new(
        "INSERT INTO users (id, username, unit_id, role, password_hash, password_changed_at, \
         created_at) ",
    );
    match store.db() {
        Db::Sqlite(pool) => {
            let mut tx = pool.begin().await?;
            units.push_values(1..=UNITS, |mut b, id| {
                b.push_bind(id)
                    .push_bind(format!("单位{id}"))
                    .push_bind(format!("UNIT{id:014}"))
                    .push_bind("[\"penalty\",\"licensing\"]")
                    .push_bind(epoch());
            });
            units.build().execute(&mut *tx).await?;
            users.push_values(1..=UNITS, |mut b, id| {
                b.push_bind(id)
                    .push_bind(format!("user{id}"))
                    .push_bind(id)
                    .push_bind("reporter")
                    .push_bind("$argon2id$not-a-real-hash")
                    .push_bind(epoch())
                    .push_bind(epoch());
            });
            users.build().execute(&mut *tx).await?;

            for batch_start in (0..uploads).step_by(10) {
                let batch: Vec<_> = (batch_start..(batch_start + 10).min(uploads))
                    .map(|i| generate(uploads, i, &mut rng))
                    .collect();
                insert_sqlite_batch(&mut tx, &batch).await?;
            }
            tx.commit().await?;
            sqlx::query("ANALYZE").execute(pool).await?;
        }
        Db::Postgres(pool) => {
            let mut conn = pool.acquire().await?;
            let units_csv: String = (1..=UNITS)
                .map(|id| {
                    csv_line(&[
                        id.to_string(),
                        format!("单位{id}"),
                        format!("UNIT{id:014}"),
                        "[\"penalty\",\"licensing\"]".into(),
                        epoch().to_rfc3339(),
                    ])
                })
                .collect();
            copy_in(
                &mut conn,
                "units (id, name, code, datasets, created_at)",
                units_csv,
            )
            .await?;
            let users_csv: String = (1..=UNITS)
                .map(|id| {
                    csv_line(&[
                        id.to_string(),
                        format!("user{id}"),
                        id.to_string(),
                        "reporter".into(),
                        "$argon2id$not-a-real-hash".into(),
                        epoch().to_rfc3339(),
                        epoch().to_rfc3339(),
                    ])
                })
                .collect();
            copy_in(
                &mut conn,
                "users (id, username, unit_id, role, password_hash, password_changed_at, \
                 created_at)",
                users_csv,
            )
            .await?;

            for batch_start in (0..uploads).step_by(1000) {
                let mut uploads_csv = String::new();
                let mut records_csv = String::new();
                for i in batch_start..(batch_start + 1000).min(uploads) {
                    let (upload, rows) = generate(uploads, i, &mut rng);
                    uploads_csv.push_str(&upload_csv(&upload));
                    for row in &rows {
                        records_csv.push_str(&record_csv(row));
                    }
                }
                copy_in(&mut conn, UPLOAD_COLUMNS, uploads_csv).await?;
                copy_in(&mut conn, RECORD_COLUMNS, records_csv).await?;
            }
            sqlx::query("VACUUM ANALYZE").execute(&mut *conn).await?;
        }
    }
    println!(
        "{}: loaded {} records in {} uploads in {:.1} s",
        store.backend_name(),
        uploads * ROWS_PER_UPLOAD,
        uploads,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

const UPLOAD_COLUMNS: &str = "uploads (id, unit_id, user_id, dataset, file_name, sha256, size, \
     object_key, status, row_count, valid_count, invalid_count, imported_count, created_at)";
const RECORD_COLUMNS: &str = "records (id, unit_id, dataset, natural_key, version, state, \
     upload_id, subject_name, subject_code, doc_no, decision_date, sort_date, field_values, \
     content_hash, changed_seq, created_at, updated_at)";

async fn insert_sqlite_batch(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    batch: &[(UploadRow, Vec<RecordRow>)],
) -> Result<()> {
    let mut uploads = QueryBuilder::<Sqlite>::new(format!("INSERT INTO {UPLOAD_COLUMNS} "));
    uploads.push_values(batch, |mut b, (u, _)| {
        b.push_bind(u.id)
            .push_bind(u.unit_id)
            .push_bind(u.unit_id)
            .push_bind(u.dataset)
            .push_bind("处罚.xlsx")
            .push_bind(format!("{:064x}", u.id))
            .push_bind(20_480_i64)
            .push_bind(format!("uploads/{}/{:064x}/处罚.xlsx", u.unit_id, u.id))
            .push_bind("checked")
            .push_bind(ROWS_PER_UPLOAD)
            .push_bind(ROWS_PER_UPLOAD)
            .push_bind(0_i64)
            .push_bind(ROWS_PER_UPLOAD)
            .push_bind(u.created_at);
    });
    uploads.build().execute(&mut **tx).await?;

    let rows: Vec<&RecordRow> = batch.iter().flat_map(|(_, rows)| rows).collect();
    // 17 columns a row stays far below SQLite's 32,766 bound parameters.
    for chunk in rows.chunks(500) {
        let mut records = QueryBuilder::<Sqlite>::new(format!("INSERT INTO {RECORD_COLUMNS} "));
        records.push_values(chunk, |mut b, r| {
            b.push_bind(r.id)
                .push_bind(r.unit_id)
                .push_bind(r.dataset)
                .push_bind(&r.natural_key)
                .push_bind(1_i64)
                .push_bind(r.state)
                .push_bind(r.upload_id)
                .push_bind(&r.subject_name)
                .push_bind(&r.subject_code)
                .push_bind(&r.doc_no)
                .push_bind(r.decision_date)
                .push_bind(r.decision_date)
                .push_bind(&r.values)
                .push_bind(format!("{:064x}", r.id))
                .push_bind(r.id)
                .push_bind(r.created_at)
                .push_bind(r.created_at);
        });
        records.build().execute(&mut **tx).await?;
    }
    Ok(())
}

fn csv_line(fields: &[String]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
        .collect();
    format!("{}\n", quoted.join(","))
}

fn upload_csv(u: &UploadRow) -> String {
    csv_line(&[
        u.id.to_string(),
        u.unit_id.to_string(),
        u.unit_id.to_string(),
        u.dataset.into(),
        "处罚.xlsx".into(),
        format!("{:064x}", u.id),
        "20480".into(),
        format!("uploads/{}/{:064x}/处罚.xlsx", u.unit_id, u.id),
        "checked".into(),
        ROWS_PER_UPLOAD.to_string(),
        ROWS_PER_UPLOAD.to_string(),
        "0".into(),
        ROWS_PER_UPLOAD.to_string(),
        u.created_at.to_rfc3339(),
    ])
}

fn record_csv(r: &RecordRow) -> String {
    csv_line(&[
        r.id.to_string(),
        r.unit_id.to_string(),
        r.dataset.into(),
        r.natural_key.clone(),
        "1".into(),
        r.state.into(),
        r.upload_id.to_string(),
        r.subject_name.clone(),
        r.subject_code.clone(),
        r.doc_no.clone(),
        r.decision_date.to_string(),
        r.decision_date.to_string(),
        r.values.clone(),
        format!("{:064x}", r.id),
        r.id.to_string(),
        r.created_at.to_rfc3339(),
        r.created_at.to_rfc3339(),
    ])
}

async fn copy_in(conn: &mut sqlx::PgConnection, target: &str, csv: String) -> Result<()> {
    let mut copy = conn
        .copy_in_raw(&format!("COPY {target} FROM STDIN (FORMAT csv)"))
        .await
        .with_context(|| format!("COPY {target}"))?;
    copy.send(csv.into_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

/// One kind of query the pages send.
#[derive(Clone, Copy, Debug)]
enum Query {
    HistoryFirst,
    HistoryDeep,
    RecordsFirst,
    RecordsDeep,
    AllRecordsFirst,
    AllRecordsDeep,
}

impl Query {
    const ALL: [Query; 6] = [
        Query::HistoryFirst,
        Query::HistoryDeep,
        Query::RecordsFirst,
        Query::RecordsDeep,
        Query::AllRecordsFirst,
        Query::AllRecordsDeep,
    ];

    fn label(self) -> &'static str {
        match self {
            Query::HistoryFirst => "uploads of a unit, page 1",
            Query::HistoryDeep => "uploads of a unit, deep page",
            Query::RecordsFirst => "records of a unit, page 1",
            Query::RecordsDeep => "records of a unit, deep page",
            Query::AllRecordsFirst => "records of all units, page 1",
            Query::AllRecordsDeep => "records of all units, deep page",
        }
    }
}

async fn run_query(store: &Store, query: Query, rng: &mut StdRng, max_id: i64) -> Result<usize> {
    let unit = Scope::Unit(rng.gen_range(1..=UNITS));
    let dataset = Some(DATASETS[rng.gen_range(0..DATASETS.len())].to_owned());
    // A one-year window somewhere in the three years.
    let from_day = rng.gen_range(0..SPAN_DAYS - 365);
    let from = epoch() + TimeDelta::days(from_day);
    let to = from + TimeDelta::days(365);
    // A cursor in the middle of that window: the id of a record created then.
    let deep_cursor = max_id * (from_day + 180) / SPAN_DAYS;

    let count = match query {
        Query::HistoryFirst | Query::HistoryDeep => {
            let before_id =
                matches!(query, Query::HistoryDeep).then_some(deep_cursor / ROWS_PER_UPLOAD);
            store
                .list_uploads(&UploadFilter {
                    scope: Some(unit),
                    dataset,
                    created_from: Some(from),
                    created_to: Some(to),
                    before_id,
                    limit: PAGE_SIZE,
                    ..Default::default()
                })
                .await?
                .items
                .len()
        }
        _ => {
            let deep = matches!(query, Query::RecordsDeep | Query::AllRecordsDeep);
            let scope = match query {
                Query::AllRecordsFirst | Query::AllRecordsDeep => Scope::All,
                _ => unit,
            };
            store
                .list_records(&RecordFilter {
                    scope: Some(scope),
                    dataset,
                    decided_from: Some(from.date_naive()),
                    decided_to: Some(to.date_naive()),
                    after: deep.then_some(RecordCursor {
                        sort_date: (from + TimeDelta::days(180)).date_naive(),
                        id: deep_cursor,
                    }),
                    limit: PAGE_SIZE,
                    ..Default::default()
                })
                .await?
                .items
                .len()
        }
    };
    Ok(count)
}

async fn bench_backend(store: &Store, records: i64, queries: usize, clients: usize) -> Result<()> {
    load(store, records).await?;
    let max_id = (records / ROWS_PER_UPLOAD).max(1) * ROWS_PER_UPLOAD;
    let store = Arc::new(store.clone());

    println!(
        "{}: {clients} concurrent clients, {queries} queries each, page size {PAGE_SIZE}",
        store.backend_name()
    );
    println!(
        "  {:<34} {:>9} {:>9} {:>9}",
        "query", "p50 ms", "p99 ms", "rows/q"
    );
    // Warm up the way a running server is: every client runs each query a few times at once,
    // so the pool has opened all its connections and the caches hold the indexes before
    // anything is timed (the first measured query otherwise paid for connection set-up).
    let mut warm = Vec::new();
    for client in 0..clients {
        let store = store.clone();
        warm.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(1_000 + client as u64);
            for query in Query::ALL {
                for _ in 0..5 {
                    run_query(&store, query, &mut rng, max_id).await?;
                }
            }
            anyhow::Ok(())
        }));
    }
    for task in warm {
        task.await??;
    }

    for query in Query::ALL {
        let mut tasks = Vec::new();
        for client in 0..clients {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(client as u64);
                let mut timings = Vec::with_capacity(queries);
                let mut rows = 0;
                for _ in 0..queries {
                    let started = Instant::now();
                    rows += run_query(&store, query, &mut rng, max_id).await?;
                    timings.push(started.elapsed());
                }
                anyhow::Ok((timings, rows))
            }));
        }
        let mut timings: Vec<Duration> = Vec::new();
        let mut rows = 0;
        for task in tasks {
            let (t, r) = task.await??;
            timings.extend(t);
            rows += r;
        }
        timings.sort();
        let percentile = |p: f64| {
            let index = ((timings.len() as f64 * p).ceil() as usize).saturating_sub(1);
            timings[index.min(timings.len() - 1)].as_secs_f64() * 1000.0
        };
        println!(
            "  {:<34} {:>9.2} {:>9.2} {:>9.1}",
            query.label(),
            percentile(0.50),
            percentile(0.99),
            rows as f64 / timings.len() as f64
        );
    }
    Ok(())
}
