-- The same file counts as a re-upload only for the same dataset: a file first sent under the
-- wrong data type (and refused) can then be sent under the right one.
DROP INDEX uploads_unit_sha256;
CREATE UNIQUE INDEX uploads_unit_dataset_sha256 ON uploads (unit_id, dataset, sha256)
    WHERE status <> 'deleted';
