//! Reading urlencoded forms, and the interface's words for Kobler's vocabulary.

use super::WebError;
use axum::Form;
use axum::extract::rejection::FormRejection;
use kobler_core::record::{MAX_CONTACT_CHARS, MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};

/// A submitted form: every (name, value) pair in order, so repeated names (checkboxes) keep
/// all their values.
#[derive(Debug, Default)]
pub(crate) struct FormData(Vec<(String, String)>);

impl FormData {
    /// Reads the form, or answers 400.
    pub(crate) fn read(
        form: Result<Form<Vec<(String, String)>>, FormRejection>,
    ) -> Result<Self, WebError> {
        form.map(|Form(pairs)| FormData(pairs))
            .map_err(|e| WebError::BadRequest(e.body_text()))
    }

    /// The first value of a field, trimmed; empty counts as absent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every non-empty value of a field.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// Percent-encodes a query parameter value (`/` is left as it is: it means nothing special in
/// a query, and the return paths of the sign-in page stay readable).
pub(crate) fn encode(value: &str) -> String {
    percent_encode(value, true)
}

/// Percent-encodes one path segment, such as a record id in `/behov/{id}`: everything but
/// letters, digits and `- _ . ~`, so an id holding `/`, `?`, `#` or `%` stays one segment and
/// means itself.
pub(crate) fn encode_segment(value: &str) -> String {
    percent_encode(value, false)
}

fn percent_encode(value: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char);
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The page of a need: `/behov/{id}` with the id encoded, and `tail` (`/rediger`) after it.
pub(crate) fn need_path(id: &str, tail: &str) -> String {
    format!("/behov/{}{tail}", encode_segment(id))
}

/// A place to return to after signing in: only a path on this site. Anything else is `/`: a
/// URL or `//host` (which would make the sign-in page an open redirect), a backslash (`/\host`
/// is `//host` to browsers), and any control character, space or non-ASCII letter (browsers
/// drop tabs and newlines from URLs, so `/<TAB>/host` is `//host` too, and a newline cannot be
/// put in a `Location` header at all). Kobler's own return paths are percent-encoded, so they
/// never hold those.
pub(crate) fn local_path(next: Option<&str>) -> String {
    let same_site = |path: &[u8], decoded: bool| {
        path.starts_with(b"/")
            && !path.starts_with(b"//")
            && path.iter().all(|&b| {
                let allowed = if decoded {
                    // Decoded, an encoded id may hold spaces and any letter (bytes from 0x80).
                    b >= 0x20 && b != 0x7f
                } else {
                    b.is_ascii_graphic()
                };
                allowed && b != b'\\'
            })
    };
    match next {
        // The encoded form is checked as well: `/%09/host` or `/%2F/host` must not become
        // `//host` in a server or browser that decodes the path before resolving it.
        Some(path) if same_site(path.as_bytes(), false) && same_site(&decode(path), true) => {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

/// Percent-decodes a path (an escape that is not two hex digits is kept as it is).
fn decode(path: &str) -> Vec<u8> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            // Two hex digits are at most 0xFF.
            out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'%'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// The interface's name of a focus area.
pub(crate) fn focus_label(value: &str) -> &str {
    match value {
        "helse-og-velferd" => "Helse og velferd",
        "oppvekst-og-utdanning" => "Oppvekst og utdanning",
        "byutvikling" => "Byutvikling",
        "innovasjon" => "Innovasjon",
        "smartby" => "Smartby",
        "klima-og-miljo" => "Klima og miljø",
        other => other,
    }
}

/// The interface's name of a kind of collaboration.
pub(crate) fn kind_label(value: &str) -> &str {
    match value {
        "masteroppgave" => "Masteroppgave",
        "bacheloroppgave" => "Bacheloroppgave",
        "praksis" => "Praksis",
        "offentlig-phd" => "Offentlig sektor-ph.d.",
        "forskningsprosjekt" => "Forskningsprosjekt",
        "evu" => "Etter- og videreutdanning",
        "innovasjonsprosjekt" => "Innovasjonsprosjekt",
        other => other,
    }
}

/// The interface's name of a need's status.
pub(crate) fn status_label(value: &str) -> &str {
    match value {
        "draft" => "Utkast",
        "open" => "Åpent",
        "matched" => "Koblet",
        "closed" => "Lukket",
        other => other,
    }
}

/// A Norwegian message for a field the engine refused, by field (the engine's reasons are for
/// the API; the form says what to do).
pub(crate) fn field_message(field: &str, reason: &str) -> String {
    // The core's length reasons end "at most N are allowed".
    let too_long = reason.contains("at most");
    match field {
        "title" if too_long => format!("Tittelen kan ha høyst {MAX_TITLE_CHARS} tegn."),
        "title" => "Skriv en tittel.".into(),
        "description" if too_long => {
            format!("Beskrivelsen kan ha høyst {MAX_DESCRIPTION_CHARS} tegn.")
        }
        "description" => "Beskriv behovet: hva dere vil vite, og hvorfor.".into(),
        "contact" if too_long => {
            format!("Kontaktinformasjonen kan ha høyst {MAX_CONTACT_CHARS} tegn.")
        }
        "focus_areas" => "Velg fokusområder fra listen.".into(),
        "kinds" => "Velg samarbeidsformer fra listen.".into(),
        "deadline" if reason.contains("before") => {
            "Fristen kan ikke være før datoen behovet ble meldt inn.".into()
        }
        "deadline" => "Skriv fristen som en dato (ÅÅÅÅ-MM-DD).".into(),
        "unit" => "Velg en kommunal enhet.".into(),
        "contact" => "Kontaktinformasjonen er ikke gyldig.".into(),
        "status" => "Velg en gyldig status.".into(),
        _ => format!("Feltet er ikke gyldig ({reason})."),
    }
}

/// The form field that shows an error of a need's JSON field.
pub(crate) fn form_field(field: &str) -> &str {
    match field {
        "title" => "tittel",
        "description" => "beskrivelse",
        "focus_areas" => "fokus",
        "kinds" => "typer",
        "deadline" => "frist",
        "unit" => "enhet",
        "contact" => "kontakt",
        "status" => "status",
        _ => "skjema",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(local_path(Some("/behov/n1")), "/behov/n1");
        assert_eq!(local_path(Some("//evil.example")), "/");
        assert_eq!(local_path(Some("https://evil.example")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn return_paths_with_control_characters_or_backslashes_go_home() {
        for bad in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/behov\r\nSet-Cookie: x=y",
            "/\\evil",
            "/ok\\..\\evil",
            "/\u{0}",
            "/\u{7f}",
            "/ /evil.example",
            "/%09/evil.example",
            "/%2F/evil.example",
            "/%5Cevil.example",
            "/behov%0D%0ASet-Cookie:%20x",
            "/behov/ø",
            "https://evil.example/",
            "//evil",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(
            local_path(Some("/behov?q=barn%20hage&side=2")),
            "/behov?q=barn%20hage&side=2"
        );
        assert_eq!(local_path(Some("/behov/%C3%B8")), "/behov/%C3%B8");
        assert_eq!(local_path(Some("/behov/100%")), "/behov/100%");
    }

    #[test]
    fn ids_in_paths_are_one_encoded_segment() {
        assert_eq!(need_path("n-1.a_b~", ""), "/behov/n-1.a_b~");
        assert_eq!(
            need_path("../a/b?c#d%e f", "/rediger"),
            "/behov/..%2Fa%2Fb%3Fc%23d%25e%20f/rediger"
        );
        assert_eq!(need_path("ø", ""), "/behov/%C3%B8");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("/behov?q=barn hage"), "/behov%3Fq%3Dbarn%20hage");
        assert_eq!(encode("æ"), "%C3%A6");
    }
}
