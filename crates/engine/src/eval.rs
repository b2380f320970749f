//! `kobler eval`: import a labelled set into a temporary store and measure matching and overlap
//! quality against its judgments (CONTRACT §2; definitions in docs/evaluation.md).

use crate::{
    EmbedObserver, Engine, EngineError, EngineOptions, ImportOptions, NoProgress, Result, Scoring,
};
use kobler_core::{Kind, Lang, Record, detect_language};
use kobler_matcher::metrics::{
    OverlapQuality, average_precision, ndcg_at, overlap_quality, precision_at,
};
use kobler_search::ProfileBaseline;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// How deep each ranking goes (MAP reads the whole ranking).
const RANKING_DEPTH: usize = 100;

/// The parts of the matcher that `--without` can turn off, for ablations.
pub const PARTS: &[&str] = &[
    "thesaurus",
    "compounds",
    "spelling",
    "projects",
    "profiles",
    "recency",
];

/// Options with the named parts turned off; an unknown name is an error naming the known ones.
pub fn options_without(parts: &[String]) -> Result<EngineOptions> {
    let mut options = EngineOptions::default();
    for part in parts {
        match part.as_str() {
            "thesaurus" => options.index.thesaurus = false,
            "compounds" => options.index.split_compounds = false,
            "spelling" => options.index.normalise_spelling = false,
            "projects" => options.projects = false,
            "profiles" => options.profiles = false,
            "recency" => options.recency = false,
            other => {
                return Err(EngineError::Invalid(format!(
                    "unknown part {other:?} (known: {})",
                    PARTS.join(", ")
                )));
            }
        }
    }
    Ok(options)
}

/// Which matcher to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Kobler's matcher.
    Kobler,
    /// Plain BM25 over one concatenated profile per researcher.
    Baseline,
}

/// Matching figures over a group of needs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MatchingFigures {
    /// Needs with judgments.
    pub needs: usize,
    /// Mean nDCG@10.
    pub ndcg_at_10: f64,
    /// Mean average precision (relevant = grade ≥ 1).
    pub map: f64,
    /// Mean precision at 5 (relevant = grade ≥ 1).
    pub p_at_5: f64,
    /// Share of needs whose first suggestion has grade 3.
    pub p_at_1_grade_3: f64,
}

/// One need's result.
#[derive(Debug, Clone, Serialize)]
pub struct NeedFigure {
    /// Need id.
    pub need: String,
    /// Detected language of the need.
    pub lang: Lang,
    /// nDCG@10 of this need.
    pub ndcg_at_10: f64,
    /// The first three suggestions.
    pub top: Vec<String>,
}

/// Everything `kobler eval` reports.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Which matcher.
    pub method: Method,
    /// Which evidence it scored with (lexical whenever no models were installed).
    pub scoring: Scoring,
    /// The sentence-embedding models installed (none: lexical only).
    pub models: Vec<String>,
    /// Over all judged needs.
    pub matching: MatchingFigures,
    /// Per detected language of the need.
    pub by_language: BTreeMap<Lang, MatchingFigures>,
    /// Overlap quality, when the set has `overlaps.jsonl`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlaps: Option<OverlapQuality>,
    /// Per need, for finding the weak spots.
    pub per_need: Vec<NeedFigure>,
    /// Lines of the set that did not import.
    pub import_problems: Vec<String>,
}

fn read_labels(path: &Path) -> Result<Vec<(usize, serde_json::Value)>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| EngineError::Io(format!("{}: {e}", path.display())))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value = serde_json::from_str(line).map_err(|e| {
            EngineError::Invalid(format!("{}:{}: invalid JSON: {e}", path.display(), i + 1))
        })?;
        out.push((i + 1, value));
    }
    Ok(out)
}

fn label_str<'a>(
    path: &Path,
    line: usize,
    value: &'a serde_json::Value,
    field: &str,
) -> Result<&'a str> {
    value.get(field).and_then(|v| v.as_str()).ok_or_else(|| {
        EngineError::Invalid(format!(
            "{}:{line}: `{field}` must be a string",
            path.display()
        ))
    })
}

/// Judgments: need → researcher → grade.
fn read_judgments(dir: &Path) -> Result<BTreeMap<String, HashMap<String, u8>>> {
    let path = dir.join("judgments.jsonl");
    let mut judgments: BTreeMap<String, HashMap<String, u8>> = BTreeMap::new();
    for (line, value) in read_labels(&path)? {
        let need = label_str(&path, line, &value, "need")?;
        let researcher = label_str(&path, line, &value, "researcher")?;
        let grade = value
            .get("grade")
            .and_then(|g| g.as_u64())
            .filter(|g| *g <= 3)
            .ok_or_else(|| {
                EngineError::Invalid(format!(
                    "{}:{line}: `grade` must be 0, 1, 2 or 3",
                    path.display()
                ))
            })?;
        judgments
            .entry(need.to_string())
            .or_default()
            .insert(researcher.to_string(), grade as u8);
    }
    Ok(judgments)
}

fn read_overlap_labels(dir: &Path) -> Result<Option<Vec<(String, String, bool)>>> {
    let path = dir.join("overlaps.jsonl");
    if !path.exists() {
        return Ok(None);
    }
    let mut labels = Vec::new();
    for (line, value) in read_labels(&path)? {
        let a = label_str(&path, line, &value, "a")?;
        let b = label_str(&path, line, &value, "b")?;
        let overlap = value
            .get("overlap")
            .and_then(|v| v.as_bool())
            .ok_or_else(|| {
                EngineError::Invalid(format!(
                    "{}:{line}: `overlap` must be true or false",
                    path.display()
                ))
            })?;
        labels.push((a.to_string(), b.to_string(), overlap));
    }
    Ok(Some(labels))
}

fn summarise(rows: &[(f64, f64, f64, f64)]) -> MatchingFigures {
    let n = rows.len();
    let mean = |f: fn(&(f64, f64, f64, f64)) -> f64| {
        if n == 0 {
            0.0
        } else {
            rows.iter().map(f).sum::<f64>() / n as f64
        }
    };
    MatchingFigures {
        needs: n,
        ndcg_at_10: mean(|r| r.0),
        map: mean(|r| r.1),
        p_at_5: mean(|r| r.2),
        p_at_1_grade_3: mean(|r| r.3),
    }
}

/// Evaluates a labelled set in `dir` with a fresh temporary store and index, or with the one in
/// `keep` (created when missing; the set is imported into it again, which changes nothing when
/// it is already there, so its vectors are reused). Records are embedded first when models are
/// installed, reporting to `observer`.
pub async fn evaluate(
    dir: &Path,
    method: Method,
    options: EngineOptions,
    keep: Option<&Path>,
    observer: &mut dyn EmbedObserver,
) -> Result<EvalReport> {
    let judgments = read_judgments(dir)?;
    let overlap_labels = read_overlap_labels(dir)?;
    let temp = tempfile::tempdir()
        .map_err(|e| EngineError::Io(format!("cannot make a temporary directory: {e}")))?;
    let data_dir = keep.unwrap_or(temp.path());
    let mut scoring = options.scoring;
    let engine = Engine::open_with(data_dir, options).await?;
    let imported = engine
        .import(
            &[dir.to_path_buf()],
            &ImportOptions::default(),
            &mut NoProgress,
        )
        .await?;
    let mut problems = imported.rejected.clone();
    problems.extend(imported.unresolved.iter().cloned());
    let models = engine.semantic_models();
    if models.is_empty() {
        scoring = Scoring::Lexical;
    } else if scoring != Scoring::Lexical && method == Method::Kobler {
        engine.embed_pending(observer).await?;
    }

    let baseline = match method {
        Method::Baseline => Some(baseline_index(&engine).await?),
        Method::Kobler => None,
    };
    let need_ids: Vec<String> = judgments.keys().cloned().collect();
    let needs = engine.store.get_many(Kind::Need, &need_ids).await?;
    let mut rows = Vec::new();
    let mut by_language: BTreeMap<Lang, Vec<(f64, f64, f64, f64)>> = BTreeMap::new();
    let mut per_need = Vec::new();
    for record in needs {
        let Record::Need(need) = record else { continue };
        let Some(grades) = judgments.get(&need.id) else {
            continue;
        };
        let text = need.text();
        let ranking: Vec<String> = match &baseline {
            Some(baseline) => baseline
                .rank(&text, RANKING_DEPTH)?
                .into_iter()
                .map(|(id, _)| id)
                .collect(),
            None => engine
                .match_need(&need, RANKING_DEPTH)
                .await?
                .into_iter()
                .map(|s| s.researcher)
                .collect(),
        };
        let ndcg = ndcg_at(&ranking, grades, 10);
        let row = (
            ndcg,
            average_precision(&ranking, grades),
            precision_at(&ranking, grades, 5, 1),
            precision_at(&ranking, grades, 1, 3),
        );
        let lang = detect_language(&text);
        rows.push(row);
        by_language.entry(lang).or_default().push(row);
        per_need.push(NeedFigure {
            need: need.id.clone(),
            lang,
            ndcg_at_10: ndcg,
            top: ranking.into_iter().take(3).collect(),
        });
    }
    // The baseline is a matching baseline only; overlaps are Kobler's own.
    let overlaps = match overlap_labels.filter(|_| method == Method::Kobler) {
        Some(labels) => {
            let flagged: Vec<(String, String)> = engine
                .overlaps(crate::OVERLAP_THRESHOLD)
                .await?
                .into_iter()
                .map(|p| (p.a, p.b))
                .collect();
            Some(overlap_quality(&flagged, &labels))
        }
        None => None,
    };
    Ok(EvalReport {
        method,
        scoring,
        models,
        matching: summarise(&rows),
        by_language: by_language
            .into_iter()
            .map(|(lang, rows)| (lang, summarise(&rows)))
            .collect(),
        overlaps,
        per_need,
        import_problems: problems,
    })
}

/// One concatenated profile per researcher: titles, abstracts and keywords of their works,
/// their own keywords and bio.
async fn baseline_index(engine: &Engine) -> Result<ProfileBaseline> {
    let mut profiles: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for record in engine.store.list(Kind::Researcher).await? {
        if let Record::Researcher(r) = record {
            let mut parts = r.keywords.clone();
            parts.extend(r.bio.clone());
            profiles.insert(r.id, parts);
        }
    }
    for record in engine.store.list(Kind::Work).await? {
        if let Record::Work(w) = record {
            let text = format!(
                "{} {} {}",
                w.title,
                w.abstract_text.unwrap_or_default(),
                w.keywords.join(" ")
            );
            for author in &w.authors {
                if let Some(parts) = profiles.get_mut(author) {
                    parts.push(text.clone());
                }
            }
        }
    }
    Ok(ProfileBaseline::build(
        profiles
            .into_iter()
            .map(|(id, parts)| (id, parts.join(" "))),
    )?)
}
