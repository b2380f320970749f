//! Tests that load the real models and embed real text; no encoder is mocked.
//!
//! The models are found through `KOBLER_MODEL_DIR` (install them with
//! `scripts/install-models DIR`). Without it these tests say that they are skipped and pass;
//! with `KOBLER_REQUIRE_MODELS=1` (as CI sets it) a missing model fails them.

use kobler_core::Lang;
use kobler_embed::{Encoder, ModelKind, ModelSet, cosine};
use std::sync::OnceLock;

/// The encoder for `kind`, loaded once per test binary; `None` when the tests may skip it.
fn encoder(kind: ModelKind) -> Option<&'static Encoder> {
    static MINILM: OnceLock<Option<Encoder>> = OnceLock::new();
    static E5: OnceLock<Option<Encoder>> = OnceLock::new();
    let cell = match kind {
        ModelKind::AllMiniLmL6V2 => &MINILM,
        ModelKind::MultilingualE5SmallQ4 => &E5,
    };
    cell.get_or_init(|| load(kind)).as_ref()
}

fn load(kind: ModelKind) -> Option<Encoder> {
    let required = std::env::var("KOBLER_REQUIRE_MODELS").is_ok_and(|v| v == "1");
    let Some(dir) = std::env::var_os("KOBLER_MODEL_DIR") else {
        assert!(
            !required,
            "KOBLER_REQUIRE_MODELS=1 but KOBLER_MODEL_DIR is not set"
        );
        eprintln!("skipped: KOBLER_MODEL_DIR is not set (see scripts/install-models)");
        return None;
    };
    let models = ModelSet::discover(dir);
    if !models.contains(kind) && !required {
        eprintln!(
            "skipped: {kind} is not installed in {}",
            models.dir().display()
        );
        return None;
    }
    // Loading a model that is present must work; one that is absent gives the missing file.
    match models.load(kind) {
        Ok(encoder) => Some(encoder),
        Err(e) => panic!("{kind}: {e}"),
    }
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

fn each_model(check: impl Fn(&Encoder)) {
    for kind in ModelKind::ALL {
        if let Some(encoder) = encoder(kind) {
            check(encoder);
        }
    }
}

#[test]
fn vectors_have_the_models_dimension_and_unit_length() {
    each_model(|encoder| {
        assert_eq!(encoder.dimension(), 384, "{}", encoder.model_id());
        let texts = [
            "Digitalt tilsyn om natta i omsorgsbustader",
            "Rain-on-snow events and urban flooding",
        ];
        for vectors in [
            encoder.embed_queries(&texts).unwrap(),
            encoder.embed_passages(&texts).unwrap(),
        ] {
            assert_eq!(vectors.len(), 2);
            for v in &vectors {
                assert_eq!(v.len(), 384);
                assert!(
                    (norm(v) - 1.0).abs() < 1e-4,
                    "{}: norm {}",
                    encoder.model_id(),
                    norm(v)
                );
                assert!(v.iter().all(|x| x.is_finite()));
            }
            assert!(cosine(&vectors[0], &vectors[1]) < 0.99);
        }
    });
}

#[test]
fn a_need_is_closer_to_its_paraphrase_than_to_an_unrelated_text() {
    // The need in a language the model reads: Norwegian for e5; MiniLM reads English only
    // (it scores the Norwegian need 0.004 against its English paraphrase, below an unrelated
    // text), which is why ModelSet routes Norwegian to e5.
    let paraphrase = "reablement for community-dwelling older adults";
    let unrelated = "stormwater retention ponds in dense urban catchments";
    each_model(|encoder| {
        let need = if encoder.kind().reads(Lang::Nb) {
            "hverdagsmestring for hjemmeboende eldre"
        } else {
            "helping older people who live at home to cope with everyday life"
        };
        let q = encoder.embed_queries(&[need]).unwrap();
        let p = encoder.embed_passages(&[paraphrase, unrelated]).unwrap();
        let related = cosine(&q[0], &p[0]);
        let other = cosine(&q[0], &p[1]);
        eprintln!(
            "{}: paraphrase {related:.3}, unrelated {other:.3}",
            encoder.model_id()
        );
        assert!(
            related > other + 0.05,
            "{}: paraphrase {related} should beat unrelated {other}",
            encoder.model_id()
        );
    });
}

#[test]
fn multilingual_model_bridges_languages_by_a_clear_margin() {
    // e5 is the model Kobler routes Norwegian to, so it must do more than scrape past.
    let Some(encoder) = encoder(ModelKind::MultilingualE5SmallQ4) else {
        return;
    };
    let q = encoder
        .embed_queries(&["Hvorfor slutter brukerne med medisindispenser?"])
        .unwrap();
    let p = encoder
        .embed_passages(&[
            "Who stops using medication dispensers? Predictors of discontinuation in home care",
            "Green roofs and stormwater retention in Nordic cities",
            "Språkutvikling i barnehagen for flerspråklige barn",
        ])
        .unwrap();
    let scores: Vec<f32> = p.iter().map(|v| cosine(&q[0], v)).collect();
    assert!(scores[0] > scores[1] + 0.05, "{scores:?}");
    assert!(scores[0] > scores[2] + 0.05, "{scores:?}");
}

#[test]
fn a_text_gets_the_same_vector_alone_and_padded_in_a_batch() {
    // Padding must be invisible: a short text batched with a long one is masked, not diluted.
    let short = "velferdsteknologi i hjemmetjenesten";
    let long = "Kommunen ønsker kunnskap om hvordan velferdsteknologi, som digitalt tilsyn, \
                medisindispensere og GPS-sporing, påvirker arbeidshverdagen til ansatte i \
                hjemmetjenesten og opplevelsen av trygghet hos brukerne og deres pårørende.";
    each_model(|encoder| {
        let alone = encoder.embed_passages(&[short]).unwrap();
        let batched = encoder.embed_passages(&[long, short, long]).unwrap();
        let c = cosine(&alone[0], &batched[1]);
        assert!(c > 0.9999, "{}: {c}", encoder.model_id());
        // Results come back in input order even though batches are sorted by length.
        assert!(cosine(&batched[0], &batched[2]) > 0.9999);
        assert!(cosine(&batched[0], &batched[1]) < 0.99);
    });
}

#[test]
fn empty_and_very_long_inputs_are_embedded_without_panicking() {
    each_model(|encoder| {
        let long = "Forebygging av fall hos eldre som bor hjemme. ".repeat(400);
        let vectors = encoder.embed_queries(&["", " ", long.as_str()]).unwrap();
        for v in &vectors {
            assert_eq!(v.len(), encoder.dimension());
            assert!((norm(v) - 1.0).abs() < 1e-4);
        }
        // The long text is cut at the model's input length, special tokens included.
        let tokens = encoder.query_tokens(&long).unwrap();
        assert_eq!(tokens.len(), encoder.max_tokens(), "{}", encoder.model_id());
        assert!(encoder.embed_passages(&[]).unwrap().is_empty());
    });
}

#[test]
fn input_lengths_are_the_ones_the_python_packages_use() {
    if let Some(minilm) = encoder(ModelKind::AllMiniLmL6V2) {
        assert_eq!(minilm.max_tokens(), 256); // sentence-transformers' max_seq_length
        assert_eq!(minilm.model_id(), "all-minilm-l6-v2");
    }
    if let Some(e5) = encoder(ModelKind::MultilingualE5SmallQ4) {
        assert_eq!(e5.max_tokens(), 512);
        // <s> query: … </s>, with XLM-R's own ids for the special tokens.
        let tokens = e5.query_tokens("eldre").unwrap();
        assert_eq!(tokens.first(), Some(&0));
        assert_eq!(tokens.last(), Some(&2));
    }
}
