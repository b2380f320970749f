//! Sentence vectors: derived data keyed by model, record and the hash of the embedded text.

use crate::{Result, Store, StoreError};
use kobler_core::Kind;
use sqlx::{QueryBuilder, Row, Sqlite};
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

/// Rows per multi-row statement (six parameters each, far below SQLite's limit).
const ROWS_PER_STATEMENT: usize = 500;

/// One record's vector under one model.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVector {
    /// Kind of the record.
    pub kind: Kind,
    /// Record id.
    pub id: String,
    /// SHA-256 (hex) of the text that was embedded.
    pub content_hash: String,
    /// The vector (stored as half floats, so read back rounded to about three digits).
    pub vector: Vec<f32>,
}

fn encode(vector: &[f32]) -> Vec<u8> {
    vector
        .iter()
        .flat_map(|x| half::f16::from_f32(*x).to_le_bytes())
        .collect()
}

fn decode(
    bytes: &[u8],
    dimension: i64,
    what: impl FnOnce() -> (String, String),
) -> Result<Vec<f32>> {
    if dimension < 0 || bytes.len() as i64 != dimension * 2 {
        let (kind, id) = what();
        return Err(StoreError::Corrupt {
            kind,
            id,
            reason: format!(
                "stored vector has {} bytes for dimension {dimension}",
                bytes.len()
            ),
        });
    }
    Ok(bytes
        .chunks_exact(2)
        .map(|pair| half::f16::from_le_bytes([pair[0], pair[1]]).to_f32())
        .collect())
}

fn row_to_vector(row: &sqlx::sqlite::SqliteRow) -> Result<StoredVector> {
    let kind: String = row.try_get("kind")?;
    let id: String = row.try_get("id")?;
    let parsed = Kind::from_str(&kind).map_err(|reason| StoreError::Corrupt {
        kind: kind.clone(),
        id: id.clone(),
        reason,
    })?;
    let bytes: Vec<u8> = row.try_get("vector")?;
    let dimension: i64 = row.try_get("dimension")?;
    let vector = decode(&bytes, dimension, || (kind.clone(), id.clone()))?;
    Ok(StoredVector {
        kind: parsed,
        id,
        content_hash: row.try_get("content_hash")?,
        vector,
    })
}

impl Store {
    /// Stores vectors made by `model_id` in one transaction, replacing the ones those records
    /// had under the same model.
    pub async fn put_vectors(&self, model_id: &str, vectors: &[StoredVector]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for chunk in vectors.chunks(ROWS_PER_STATEMENT) {
            let mut insert: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT OR REPLACE INTO embeddings \
                 (model_id, kind, id, content_hash, dimension, vector) ",
            );
            insert.push_values(chunk, |mut row, v| {
                row.push_bind(model_id)
                    .push_bind(v.kind.as_str())
                    .push_bind(&v.id)
                    .push_bind(&v.content_hash)
                    .push_bind(v.vector.len() as i64)
                    .push_bind(encode(&v.vector));
            });
            insert.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The content hashes stored under `model_id` for these records of `kind` (records without
    /// a vector are absent from the map).
    pub async fn vector_hashes(
        &self,
        model_id: &str,
        kind: Kind,
        ids: &[String],
    ) -> Result<HashMap<String, String>> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let mut select: QueryBuilder<Sqlite> =
                QueryBuilder::new("SELECT id, content_hash FROM embeddings WHERE model_id = ");
            select.push_bind(model_id);
            select.push(" AND kind = ").push_bind(kind.as_str());
            select.push(" AND id IN (");
            let mut ids = select.separated(", ");
            for id in chunk {
                ids.push_bind(id);
            }
            select.push(")");
            for row in select.build().fetch_all(&self.pool).await? {
                out.insert(row.try_get("id")?, row.try_get("content_hash")?);
            }
        }
        Ok(out)
    }

    /// Vectors already stored under `model_id` for any of these content hashes, by hash: an
    /// identical text need not be embedded twice.
    pub async fn vectors_by_hash(
        &self,
        model_id: &str,
        hashes: &[String],
    ) -> Result<HashMap<String, Vec<f32>>> {
        let mut out = HashMap::new();
        for chunk in hashes.chunks(ROWS_PER_STATEMENT) {
            let mut select: QueryBuilder<Sqlite> = QueryBuilder::new(
                "SELECT kind, id, content_hash, dimension, vector FROM embeddings WHERE model_id = ",
            );
            select.push_bind(model_id);
            select.push(" AND content_hash IN (");
            let mut list = select.separated(", ");
            for hash in chunk {
                list.push_bind(hash);
            }
            select.push(")");
            for row in select.build().fetch_all(&self.pool).await? {
                let stored = row_to_vector(&row)?;
                out.insert(stored.content_hash, stored.vector);
            }
        }
        Ok(out)
    }

    /// Up to `limit` vectors of `model_id` written after `seq`, oldest write first, each with
    /// its own `seq`: for reading them all page by page, and then only what changed.
    pub async fn vectors_since(
        &self,
        model_id: &str,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<(i64, StoredVector)>> {
        let rows = sqlx::query(
            "SELECT seq, kind, id, content_hash, dimension, vector FROM embeddings \
             WHERE model_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(model_id)
        .bind(seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("seq")?, row_to_vector(row)?)))
            .collect()
    }

    /// How many vectors each model has stored.
    pub async fn vector_counts(&self) -> Result<BTreeMap<String, u64>> {
        let rows = sqlx::query("SELECT model_id, COUNT(*) AS n FROM embeddings GROUP BY model_id")
            .fetch_all(&self.pool)
            .await?;
        let mut out = BTreeMap::new();
        for row in rows {
            let n: i64 = row.try_get("n")?;
            out.insert(row.try_get("model_id")?, n.max(0) as u64);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(kind: Kind, id: &str, hash: &str, values: &[f32]) -> StoredVector {
        StoredVector {
            kind,
            id: id.into(),
            content_hash: hash.into(),
            vector: values.to_vec(),
        }
    }

    #[tokio::test]
    async fn vectors_are_stored_per_model_replaced_and_read_back_rounded() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        store
            .put_vectors(
                "m1",
                &[
                    vector(Kind::Work, "w1", "h1", &[0.6, 0.8]),
                    vector(Kind::Need, "n1", "h2", &[1.0, 0.0]),
                ],
            )
            .await
            .unwrap();
        store
            .put_vectors("m2", &[vector(Kind::Work, "w1", "h1", &[0.0, 1.0])])
            .await
            .unwrap();
        // A changed text replaces the vector under the same model only.
        store
            .put_vectors("m1", &[vector(Kind::Work, "w1", "h3", &[0.8, 0.6])])
            .await
            .unwrap();

        let hashes = store
            .vector_hashes("m1", Kind::Work, &["w1".into(), "w9".into()])
            .await
            .unwrap();
        assert_eq!(hashes.len(), 1);
        assert_eq!(hashes["w1"], "h3");

        let all = store.vectors_since("m1", 0, 10).await.unwrap();
        assert_eq!(all.len(), 2);
        // The replaced vector was written last, so it reads last.
        assert_eq!((all[0].1.kind, all[0].1.id.as_str()), (Kind::Need, "n1"));
        assert_eq!(all[1].1.id, "w1");
        assert!((all[1].1.vector[0] - 0.8).abs() < 1e-3);
        let rest = store.vectors_since("m1", all[0].0, 10).await.unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].1.id, "w1");
        assert!(
            store
                .vectors_since("m1", all[1].0, 10)
                .await
                .unwrap()
                .is_empty()
        );

        let reused = store
            .vectors_by_hash("m2", &["h1".into(), "h3".into()])
            .await
            .unwrap();
        assert_eq!(reused.len(), 1);
        assert!((reused["h1"][1] - 1.0).abs() < 1e-3);

        let counts = store.vector_counts().await.unwrap();
        assert_eq!(counts["m1"], 2);
        assert_eq!(counts["m2"], 1);
    }

    #[test]
    fn a_vector_whose_length_disagrees_with_its_dimension_is_corrupt_not_a_panic() {
        let bytes = encode(&[0.5, 0.25]);
        assert_eq!(
            decode(&bytes, 2, || unreachable!()).unwrap(),
            vec![0.5, 0.25]
        );
        for (bytes, dimension) in [(&bytes[..3], 2), (&bytes[..], 3), (&bytes[..], -1)] {
            assert!(matches!(
                decode(bytes, dimension, || ("work".into(), "w".into())),
                Err(StoreError::Corrupt { .. })
            ));
        }
    }
}
