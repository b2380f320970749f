//! The reference point for `kobler eval --baseline`: plain BM25 over one concatenated profile
//! per researcher, lower-cased whitespace tokens, no stemming, no language handling.

use crate::SearchError;
use std::collections::HashMap;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{LowerCaser, TextAnalyzer, WhitespaceTokenizer};
use tantivy::{Index, IndexReader, TantivyDocument, Term};

/// An in-memory BM25 index of concatenated researcher profiles.
pub struct ProfileBaseline {
    reader: IndexReader,
    id: tantivy::schema::Field,
    text: tantivy::schema::Field,
    analyzer: TextAnalyzer,
}

impl ProfileBaseline {
    /// Builds the index from `(researcher id, profile text)` pairs.
    pub fn build(
        profiles: impl IntoIterator<Item = (String, String)>,
    ) -> Result<ProfileBaseline, SearchError> {
        let mut builder = Schema::builder();
        let id = builder.add_text_field("id", STRING | STORED);
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("plain")
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let text = builder.add_text_field("text", options);
        let index = Index::create_in_ram(builder.build());
        let analyzer = TextAnalyzer::builder(WhitespaceTokenizer::default())
            .filter(LowerCaser)
            .build();
        index.tokenizers().register("plain", analyzer.clone());
        let mut writer: tantivy::IndexWriter = index.writer(50_000_000)?;
        for (researcher, profile) in profiles {
            let mut doc = TantivyDocument::default();
            doc.add_text(id, &researcher);
            doc.add_text(text, &profile);
            writer.add_document(doc)?;
        }
        writer.commit()?;
        let reader = index.reader()?;
        Ok(ProfileBaseline {
            reader,
            id,
            text,
            analyzer,
        })
    }

    /// The `top` researchers for a query text, best first, with their BM25 scores.
    pub fn rank(&self, query: &str, top: usize) -> Result<Vec<(String, f32)>, SearchError> {
        let mut counts: HashMap<String, u32> = HashMap::new();
        let mut analyzer = self.analyzer.clone();
        let mut stream = analyzer.token_stream(query);
        while stream.advance() {
            *counts.entry(stream.token().text.clone()).or_default() += 1;
        }
        // Repeated query words count once per occurrence, as in BM25 over a token list.
        let clauses: Vec<(Occur, Box<dyn Query>)> = counts
            .into_iter()
            .map(|(term, n)| {
                let q = TermQuery::new(
                    Term::from_field_text(self.text, &term),
                    IndexRecordOption::WithFreqs,
                );
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), n as f32)) as Box<dyn Query>,
                )
            })
            .collect();
        let searcher = self.reader.searcher();
        let found = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(top.max(1)),
        )?;
        found
            .into_iter()
            .map(|(score, address)| {
                let doc: TantivyDocument = searcher.doc(address)?;
                let id = doc
                    .get_first(self.id)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string();
                Ok((id, score))
            })
            .collect()
    }
}
