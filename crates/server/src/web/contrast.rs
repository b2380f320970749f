//! Colour contrast of the stylesheet, measured: the embedded CSS is parsed, its colours
//! resolved (custom properties included), and every pair that people must tell apart is held
//! to WCAG 2.1's contrast ratio — 4.5:1 for text (3:1 for large text), 3:1 for the parts of
//! controls and graphics that carry meaning (1.4.3, 1.4.11):
//!
//! - text: a rule's `color` (or `fill`, where the rule sets a font size) against the rule's own
//!   background, or, where it sets none, against every background of the stylesheet on the
//!   other side of light and dark (any text may end up on any surface);
//! - links: `a`'s colours are text colours, so the same;
//! - graphics: fills and strokes of SVG shapes (bars, nodes, links) against the page;
//! - controls: borders of inputs, selects and text areas against the page;
//! - focus: on every background at least one ring of the indicator stands out, on light
//!   surfaces the outermost ring does (its edge is what the eye finds), and the rings stand out
//!   against each other.

use std::collections::HashMap;

/// The stylesheet tested: the one the server sends.
const CSS: &str = super::CSS;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rgb(u8, u8, u8);

impl Rgb {
    /// Relative luminance (WCAG 2.1).
    fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }

    fn is_light(self) -> bool {
        self.luminance() >= 0.4
    }
}

/// WCAG 2.1 contrast ratio, 1 to 21.
fn ratio(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// A rule: its selector and declarations (property, value), in order.
#[derive(Debug, Clone)]
struct Rule {
    selector: String,
    declarations: Vec<(String, String)>,
}

impl Rule {
    fn get(&self, property: &str) -> Option<&str> {
        self.declarations
            .iter()
            .rev()
            .find(|(p, _)| p == property)
            .map(|(_, v)| v.as_str())
    }
}

/// The rules of a stylesheet, with those inside `@media` blocks flattened.
fn parse(css: &str) -> Vec<Rule> {
    let mut text = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        text.push_str(&rest[..start]);
        rest = rest[start + 2..]
            .find("*/")
            .map_or("", |end| &rest[start + 2 + end + 2..]);
    }
    text.push_str(rest);
    let mut rules = Vec::new();
    parse_block(&text, &mut rules);
    rules
}

fn parse_block(text: &str, rules: &mut Vec<Rule>) {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let prelude = rest[..open].trim().to_string();
        // The matching close brace.
        let mut depth = 0;
        let mut close = None;
        for (i, c) in rest[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(open + i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(close) = close else { break };
        let body = &rest[open + 1..close];
        if prelude.starts_with('@') {
            parse_block(body, rules);
        } else {
            rules.push(Rule {
                selector: prelude,
                declarations: body
                    .split(';')
                    .filter_map(|d| d.split_once(':'))
                    .map(|(p, v)| (p.trim().to_string(), v.trim().to_string()))
                    .collect(),
            });
        }
        rest = &rest[close + 1..];
    }
}

/// Custom properties declared on `:root`.
fn variables(rules: &[Rule]) -> HashMap<String, String> {
    rules
        .iter()
        .filter(|r| r.selector == ":root")
        .flat_map(|r| r.declarations.iter())
        .filter(|(p, _)| p.starts_with("--"))
        .cloned()
        .collect()
}

/// The first colour in a value (`#rgb`, `#rrggbb`, `white`, `black`, `var(--x)`); none for
/// `transparent`, `none`, `currentColor` or no colour at all.
fn colour(value: &str, vars: &HashMap<String, String>) -> Option<Rgb> {
    for token in value.split(|c: char| c.is_whitespace() || c == ',') {
        let token = token.trim();
        if let Some(name) = token.strip_prefix("var(").and_then(|t| t.strip_suffix(')')) {
            if let Some(found) = vars.get(name.trim()).and_then(|v| colour(v, vars)) {
                return Some(found);
            }
            continue;
        }
        match token {
            "white" => return Some(Rgb(255, 255, 255)),
            "black" => return Some(Rgb(0, 0, 0)),
            _ => {}
        }
        let Some(hex) = token.strip_prefix('#') else {
            continue;
        };
        let digits: Vec<u8> = hex
            .chars()
            .filter_map(|c| c.to_digit(16).map(|d| d as u8))
            .collect();
        match (hex.len(), digits.len()) {
            (3, 3) => return Some(Rgb(digits[0] * 17, digits[1] * 17, digits[2] * 17)),
            (6, 6) => {
                return Some(Rgb(
                    digits[0] * 16 + digits[1],
                    digits[2] * 16 + digits[3],
                    digits[4] * 16 + digits[5],
                ));
            }
            _ => {}
        }
    }
    None
}

/// A length in CSS pixels (`px`, or `rem`/`em` at 16px); none for anything else.
fn pixels(value: &str) -> Option<f64> {
    let value = value.trim();
    if value == "0" {
        Some(0.0)
    } else if let Some(n) = value.strip_suffix("px") {
        n.trim().parse().ok()
    } else if let Some(n) = value
        .strip_suffix("rem")
        .or_else(|| value.strip_suffix("em"))
    {
        n.trim().parse::<f64>().ok().map(|n| n * 16.0)
    } else {
        None
    }
}

/// Large text in WCAG's sense: at least 24px, or 18.66px and bold.
fn is_large(rule: &Rule) -> bool {
    let size = rule.get("font-size").and_then(pixels).unwrap_or(0.0);
    let bold = rule
        .get("font-weight")
        .is_some_and(|w| w == "bold" || w.parse::<u32>().is_ok_and(|w| w >= 700));
    size >= 24.0 || (bold && size >= 18.66)
}

/// The stylesheet's colours in use, read once.
struct Sheet {
    rules: Vec<Rule>,
    vars: HashMap<String, String>,
    page: Rgb,
}

impl Sheet {
    fn load() -> Sheet {
        let rules = parse(CSS);
        let vars = variables(&rules);
        let page = rules
            .iter()
            .find(|r| r.selector == "body")
            .and_then(|r| r.get("background").or_else(|| r.get("background-color")))
            .and_then(|v| colour(v, &vars))
            .unwrap_or(Rgb(255, 255, 255));
        Sheet { rules, vars, page }
    }

    fn colour_of(&self, rule: &Rule, property: &str) -> Option<Rgb> {
        rule.get(property).and_then(|v| colour(v, &self.vars))
    }

    fn background(&self, rule: &Rule) -> Option<Rgb> {
        self.colour_of(rule, "background")
            .or_else(|| self.colour_of(rule, "background-color"))
    }

    /// Every background colour of the stylesheet, and the page's.
    fn backgrounds(&self) -> Vec<(String, Rgb)> {
        let mut out = vec![("body".to_string(), self.page)];
        for rule in &self.rules {
            if let Some(bg) = self.background(rule) {
                let entry = (rule.selector.clone(), bg);
                if !out.contains(&entry) {
                    out.push(entry);
                }
            }
        }
        out
    }
}

/// Every text colour against the backgrounds it can stand on, below its threshold.
fn text_failures(sheet: &Sheet) -> Vec<String> {
    let backgrounds = sheet.backgrounds();
    let mut failures = Vec::new();
    for rule in &sheet.rules {
        let text = sheet.colour_of(rule, "color").or_else(|| {
            rule.get("font-size")
                .and_then(|_| sheet.colour_of(rule, "fill"))
        });
        let Some(text) = text else { continue };
        let need = if is_large(rule) { 3.0 } else { 4.5 };
        let grounds: Vec<(String, Rgb)> = match sheet.background(rule) {
            Some(own) => vec![(rule.selector.clone(), own)],
            None => backgrounds
                .iter()
                .filter(|(_, bg)| bg.is_light() != text.is_light())
                .cloned()
                .collect(),
        };
        for (on, bg) in grounds {
            let r = ratio(text, bg);
            if r < need {
                failures.push(format!(
                    "text of `{}` {text:?} on `{on}` {bg:?}: {r:.2}:1 < {need}:1",
                    rule.selector
                ));
            }
        }
    }
    failures
}

/// Fills and strokes of shapes (not text) and borders of form controls against the page.
fn graphic_failures(sheet: &Sheet) -> Vec<String> {
    let mut failures = Vec::new();
    for rule in &sheet.rules {
        let mut parts = Vec::new();
        if rule.get("font-size").is_none() {
            for property in ["fill", "stroke"] {
                if let Some(c) = sheet.colour_of(rule, property) {
                    // A white stroke is a halo that separates shapes, not a part to see.
                    if c != sheet.page {
                        parts.push((property, c));
                    }
                }
            }
        }
        let control = ["input", "select", "textarea", "aria-invalid"]
            .iter()
            .any(|c| rule.selector.contains(c));
        if control {
            for property in ["border", "border-color"] {
                if let Some(c) = sheet.colour_of(rule, property) {
                    parts.push((property, c));
                }
            }
        }
        for (property, c) in parts {
            let r = ratio(c, sheet.page);
            if r < 3.0 {
                failures.push(format!(
                    "{property} of `{}` {c:?} on the page: {r:.2}:1 < 3:1",
                    rule.selector
                ));
            }
        }
    }
    failures
}

/// The focus indicator, drawn as rings around the element (an `outline`, and a `box-shadow`
/// halo beneath it): on every background at least one ring stands out; on light surfaces (the
/// page, panels, cards) so does the outermost ring, whose edge is what the eye finds; and the
/// outline stands out against the halo.
fn focus_failures(sheet: &Sheet) -> Vec<String> {
    let mut failures = Vec::new();
    let mut found = false;
    for rule in sheet.rules.iter().filter(|r| r.selector.contains(":focus")) {
        let Some(outline) = rule.get("outline") else {
            continue;
        };
        let Some(ring) = colour(outline, &sheet.vars) else {
            continue;
        };
        found = true;
        let width = outline.split_whitespace().find_map(pixels).unwrap_or(0.0);
        let offset = rule.get("outline-offset").and_then(pixels).unwrap_or(0.0);
        // `box-shadow: 0 0 0 SPREAD COLOUR` draws a ring from the element outwards.
        let halo = rule.get("box-shadow").and_then(|v| {
            let spread = v.split_whitespace().filter_map(pixels).nth(3)?;
            Some((spread, colour(v, &sheet.vars)?))
        });
        let mut rings = vec![ring];
        let mut outer = ring;
        if let Some((spread, c)) = halo {
            rings.push(c);
            if spread > offset + width {
                outer = c;
            }
            let r = ratio(ring, c);
            if r < 3.0 {
                failures.push(format!(
                    "focus outline and halo of `{}` against each other: {r:.2}:1 < 3:1",
                    rule.selector
                ));
            }
        }
        for (on, bg) in sheet.backgrounds() {
            let best = rings.iter().map(|&c| ratio(c, bg)).fold(0.0, f64::max);
            if best < 3.0 {
                failures.push(format!(
                    "no focus ring of `{}` stands out on `{on}` {bg:?}: best {best:.2}:1 < 3:1",
                    rule.selector
                ));
            }
            let r = ratio(outer, bg);
            if bg.is_light() && r < 3.0 {
                failures.push(format!(
                    "outer focus ring of `{}` {outer:?} on `{on}` {bg:?}: {r:.2}:1 < 3:1",
                    rule.selector
                ));
            }
        }
    }
    if !found {
        failures.push("no focus style with an outline".into());
    }
    failures
}

#[test]
fn the_contrast_ratio_is_wcags() {
    let white = Rgb(255, 255, 255);
    let black = Rgb(0, 0, 0);
    assert!((ratio(white, black) - 21.0).abs() < 1e-9);
    assert!((ratio(white, white) - 1.0).abs() < 1e-9);
    // #767676 is the classic lightest grey that passes 4.5:1 on white.
    assert!(ratio(Rgb(0x76, 0x76, 0x76), white) >= 4.5);
    assert!(ratio(Rgb(0x77, 0x77, 0x77), white) < 4.5);
}

#[test]
fn the_parser_reads_rules_variables_and_colours() {
    let rules = parse(
        ":root { --a: #0062ba; /* note */ --b: var(--a); }\n\
         @media (max-width: 1px) { .x { color: var(--b); background: #FFF; } }",
    );
    let vars = variables(&rules);
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[1].selector, ".x");
    assert_eq!(
        colour(rules[1].get("color").unwrap_or_default(), &vars),
        Some(Rgb(0, 0x62, 0xba))
    );
    assert_eq!(colour("#FFF", &vars), Some(Rgb(255, 255, 255)));
    assert_eq!(
        colour("3px solid var(--a)", &vars),
        Some(Rgb(0, 0x62, 0xba))
    );
    assert_eq!(colour("transparent", &vars), None);
}

#[test]
fn a_pale_text_colour_is_caught() {
    let rules =
        parse(":root { --pale: #999; } body { background: #fff; } .hint { color: var(--pale); }");
    let sheet = Sheet {
        vars: variables(&rules),
        rules,
        page: Rgb(255, 255, 255),
    };
    let failures = text_failures(&sheet);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].contains(".hint"), "{failures:?}");
}

#[test]
fn a_focus_ring_whose_pale_edge_touches_the_page_is_caught() {
    let css = ":focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; box-shadow: 0 0 0 5px #1e2b3c; }";
    let rules = parse(css);
    let sheet = Sheet {
        vars: variables(&rules),
        rules,
        page: Rgb(255, 255, 255),
    };
    assert!(!focus_failures(&sheet).is_empty());
    let css = ":focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; box-shadow: 0 0 0 7px #1e2b3c; }";
    let rules = parse(css);
    let sheet = Sheet {
        vars: variables(&rules),
        rules,
        page: Rgb(255, 255, 255),
    };
    assert_eq!(focus_failures(&sheet), Vec::<String>::new());
}

#[test]
fn every_text_colour_has_at_least_4_5_to_1_against_its_backgrounds() {
    let failures = text_failures(&Sheet::load());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn graphics_and_control_borders_have_at_least_3_to_1_against_the_page() {
    let failures = graphic_failures(&Sheet::load());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_focus_ring_stands_out_on_every_background() {
    let failures = focus_failures(&Sheet::load());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_stylesheet_is_read_whole() {
    let sheet = Sheet::load();
    // The parser found the rules the checks depend on.
    for selector in [
        ":root",
        "body",
        "a",
        ":focus-visible",
        ".chart-bar",
        ".node-unit",
    ] {
        assert!(
            sheet.rules.iter().any(|r| r.selector == selector),
            "{selector} not found"
        );
    }
    assert!(sheet.vars.len() >= 10, "{:?}", sheet.vars);
    assert_eq!(sheet.page, Rgb(255, 255, 255));
}
