//! The default taxonomy of focus areas and collaboration kinds (CONTRACT §1).
//!
//! Imports accept other values (a partnership may configure its own taxonomy); the API checks
//! what staff post against these lists.

/// The default focus areas of a universitetskommune partnership.
pub const FOCUS_AREAS: &[&str] = &[
    "helse-og-velferd",
    "oppvekst-og-utdanning",
    "byutvikling",
    "innovasjon",
    "smartby",
    "klima-og-miljo",
];

/// The default kinds of collaboration a need can ask for.
pub const COLLABORATION_KINDS: &[&str] = &[
    "masteroppgave",
    "bacheloroppgave",
    "praksis",
    "offentlig-phd",
    "forskningsprosjekt",
    "evu",
    "innovasjonsprosjekt",
];
