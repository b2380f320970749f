//! Writes large synthetic expertise feeds in each foreign format, for import throughput
//! measurements (docs/formats.md): Cristin pages (persons, results with contributor previews),
//! OpenAlex works and authors (JSON Lines), ORCID records (JSON Lines, twenty works each), and a
//! needs spreadsheet (semicolon CSV with BOM). Texts are drawn from the demo fixtures'
//! vocabulary; output is deterministic.
//!
//! ```sh
//! cargo run --release --example synthetic_feeds -- OUT_DIR WORKS
//! ```
//!
//! writes `OUT_DIR/{cristin,openalex,orcid,csv}/` with WORKS works (or needs) in each.

mod support;

use serde_json::{Value, json};
use std::io::{BufWriter, Write};
use std::path::Path;
use support::Lcg;

const DEMO_WORKS: &str = include_str!("../fixtures/demo/works.jsonl");

struct Words {
    words: Vec<String>,
    rng: Lcg,
}

impl Words {
    fn text(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| self.words[self.rng.below(self.words.len())].clone())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

const FIRST: [&str; 12] = [
    "Ingrid", "Kari", "Ola", "Magnus", "Sigrid", "Jonas", "Hanna", "Erik", "Nora", "Anders",
    "Marte", "Eirik",
];
const LAST: [&str; 12] = [
    "Solberg", "Hansen", "Aasen", "Nymoen", "Brekke", "Lie", "Haugen", "Dahl", "Berg", "Moen",
    "Rønning", "Vik",
];

fn orcid(n: usize) -> String {
    let base = format!("{:015}", 2_000_000_000 + n);
    let mut total = 0u32;
    for c in base.chars() {
        total = (total + c.to_digit(10).unwrap_or(0)) * 2;
    }
    let check = (12 - total % 11) % 11;
    let check = if check == 10 {
        'X'
    } else {
        char::from_digit(check, 10).unwrap_or('0')
    };
    let s = format!("{base}{check}");
    format!("{}-{}-{}-{}", &s[0..4], &s[4..8], &s[8..12], &s[12..16])
}

fn writer(path: &Path) -> BufWriter<std::fs::File> {
    BufWriter::new(std::fs::File::create(path).expect("create output file"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(out), Some(works)) = (
        args.get(1),
        args.get(2).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: synthetic_feeds OUT_DIR WORKS");
        std::process::exit(2);
    };
    let out = Path::new(out);
    for sub in ["cristin", "openalex", "orcid", "csv"] {
        std::fs::create_dir_all(out.join(sub)).expect("create output directory");
    }
    let mut words = Words {
        words: DEMO_WORKS
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 3)
            .map(str::to_lowercase)
            .collect(),
        rng: Lcg(7),
    };
    let people = (works / 20).max(1);
    let name = |i: usize| format!("{} {}", FIRST[i % 12], LAST[(i / 12) % 12]);

    // Cristin: persons in one page, results in pages of 1000 with contributor previews.
    let persons: Vec<Value> = (0..people)
        .map(|i| {
            json!({"cristin_person_id": (400_000 + i).to_string(), "first_name": FIRST[i % 12],
                   "surname": LAST[(i / 12) % 12], "orcid": {"id": orcid(i)},
                   "affiliations": [{"institution": {"cristin_institution_id": "194"},
                       "unit": {"cristin_unit_id": format!("194.{}.0.0", i % 40), "unit_name": {"nb": format!("Institutt {}", i % 40)}}, "active": true}],
                   "keywords": [{"name": {"nb": words.text(1), "en": words.text(1)}}]})
        })
        .collect();
    std::fs::write(
        out.join("cristin/persons.json"),
        Value::Array(persons).to_string(),
    )
    .expect("write persons");
    for page in 0..works.div_ceil(1000) {
        let items: Vec<Value> = (page * 1000..((page + 1) * 1000).min(works))
            .map(|i| {
                let a = i % people;
                let b = (i * 7 + 3) % people;
                json!({"cristin_result_id": (3_000_000 + i).to_string(), "original_language": "nb",
                       "title": {"nb": words.text(8), "en": words.text(8)},
                       "summary": {"nb": words.text(60), "en": words.text(60)},
                       "year_published": (2005 + i % 20).to_string(),
                       "category": {"code": "ARTIKKEL"},
                       "keywords": [{"name": {"nb": words.text(1), "en": words.text(1)}}],
                       "contributors": {"count": 2, "preview": [
                           {"cristin_person_id": (400_000 + a).to_string(), "first_name": FIRST[a % 12], "surname": LAST[(a / 12) % 12], "order": 1},
                           {"cristin_person_id": (400_000 + b).to_string(), "first_name": FIRST[b % 12], "surname": LAST[(b / 12) % 12], "order": 2}]}})
            })
            .collect();
        std::fs::write(
            out.join(format!("cristin/results-{page:04}.json")),
            Value::Array(items).to_string(),
        )
        .expect("write results page");
    }

    // OpenAlex: authors and works, one per line.
    let mut f = writer(&out.join("openalex/authors.jsonl"));
    for i in 0..people {
        let line = json!({"id": format!("https://openalex.org/A{}", 5_100_000_000usize + i),
            "display_name": name(i), "orcid": format!("https://orcid.org/{}", orcid(i)),
            "last_known_institutions": [{"id": "https://openalex.org/I204778367", "display_name": "Norwegian University of Science and Technology"}],
            "topics": [{"display_name": words.text(2)}]});
        writeln!(f, "{line}").expect("write author");
    }
    f.flush().expect("flush");
    let mut f = writer(&out.join("openalex/works.jsonl"));
    for i in 0..works {
        let mut index = serde_json::Map::new();
        for (pos, word) in words.text(80).split(' ').enumerate() {
            let entry = index.entry(word.to_string()).or_insert_with(|| json!([]));
            if let Some(list) = entry.as_array_mut() {
                list.push(json!(pos));
            }
        }
        let a = i % people;
        let line = json!({"id": format!("https://openalex.org/W{}", 4_500_000_000usize + i),
            "title": words.text(10), "publication_year": 2005 + i % 20, "language": "en",
            "abstract_inverted_index": index,
            "authorships": [{"author_position": "first", "author": {"id": format!("https://openalex.org/A{}", 5_100_000_000usize + a),
                "display_name": name(a), "orcid": format!("https://orcid.org/{}", orcid(a))},
                "institutions": [{"id": "https://openalex.org/I204778367", "display_name": "Norwegian University of Science and Technology"}]}],
            "topics": [{"display_name": words.text(3)}]});
        writeln!(f, "{line}").expect("write work");
    }
    f.flush().expect("flush");

    // ORCID: one record per line, twenty work summaries each.
    let mut f = writer(&out.join("orcid/records.jsonl"));
    for i in 0..works.div_ceil(20) {
        let id = orcid(i);
        let group: Vec<Value> = (0..20.min(works - i * 20))
            .map(|w| json!({"work-summary": [{"put-code": w + 1, "title": {"title": {"value": words.text(9)}},
                 "type": "journal-article", "publication-date": {"year": {"value": (2005 + w).to_string()}}}]}))
            .collect();
        let line = json!({"orcid-identifier": {"path": id},
            "person": {"name": {"given-names": {"value": FIRST[i % 12]}, "family-name": {"value": LAST[(i / 12) % 12]}},
                       "keywords": {"keyword": [{"content": words.text(2)}]}},
            "activities-summary": {"employments": {"affiliation-group": [{"summaries": [{"employment-summary": {
                "role-title": "Forsker", "organization": {"name": "NTNU"}, "start-date": {"year": {"value": "2015"}}}}]}]},
                "works": {"group": group}}});
        writeln!(f, "{line}").expect("write record");
    }
    f.flush().expect("flush");

    // A needs sheet as Excel writes it in a Norwegian locale.
    let mut f = writer(&out.join("csv/behov.csv"));
    f.write_all(b"\xef\xbb\xbf").expect("write BOM");
    writeln!(
        f,
        "ID;Tittel;Beskrivelse;Enhet;Fokusområder;Samarbeidsform;Frist;Kontakt;Status"
    )
    .expect("write header");
    let units = [
        "Helse og velferd",
        "Oppvekst og utdanning",
        "Miljøenheten",
        "Byplankontoret",
    ];
    for i in 0..works {
        writeln!(
            f,
            "syn-{i};{};\"{}\";{};Helse og velferd, Innovasjon;Masteroppgave;{:02}.{:02}.2026;Kari Dahl;Åpen",
            words.text(6),
            words.text(50),
            units[i % units.len()],
            1 + i % 28,
            1 + i % 12
        )
        .expect("write need");
    }
    f.flush().expect("flush");
    eprintln!(
        "wrote {works} works per format and {people} people to {}",
        out.display()
    );
}
