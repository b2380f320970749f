//! The network page (`/koordinering/nettverk`): who works with whom, drawn by the server as an
//! SVG with a title and description, and the same links and people as tables (the drawing's
//! text alternative). A coordinator centres it on a researcher or department by name, chooses
//! one or two links out, and how many nodes to draw. No JavaScript.
//!
//! Layout: with a centre, the centre sits in the middle and its neighbours on an ellipse around
//! it, each with a sector in proportion to the neighbours it brings from two links out, who sit
//! on an outer ellipse within it. Without a centre, a force-directed layout (Fruchterman and
//! Reingold) from a fixed start, so the same network is always drawn the same way.

use super::WebError;
use super::forms::encode;
use super::pages::{Page, render};
use super::session::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use kobler_engine::access::is_coordinator;
use kobler_engine::{
    NETWORK_DEFAULT_NODES, NetworkEdge, NetworkNode, NetworkRequest, NetworkSummary, NetworkView,
    NodeKind, NodeRef,
};
use serde::Deserialize;
use std::collections::HashMap;
use std::f64::consts::{FRAC_PI_2, TAU};

/// The drawing's size in SVG units.
pub(crate) const WIDTH: f64 = 1100.0;
pub(crate) const HEIGHT: f64 = 700.0;
/// Room left of and right of the nodes for their names.
const LABEL_ROOM: f64 = 175.0;
/// Room above and below the nodes.
const EDGE_ROOM: f64 = 40.0;
/// Longest name drawn in full; longer ones are cut (the table has them whole).
const LABEL_CHARS: usize = 26;
/// The limits offered on the page.
const LIMITS: [usize; 4] = [15, 30, 60, 100];
/// Most candidates listed when a name matches several.
const MAX_CANDIDATES: usize = 20;

/// A node as drawn.
#[derive(Debug, Clone)]
pub(crate) struct DrawnNode {
    pub x: i32,
    pub y: i32,
    pub r: i32,
    pub is_unit: bool,
    pub is_focus: bool,
    pub name: String,
    pub label: String,
    pub label_x: i32,
    pub label_y: i32,
    pub anchor: &'static str,
}

/// A link as drawn.
#[derive(Debug, Clone)]
pub(crate) struct DrawnEdge {
    pub x1: i32,
    pub y1: i32,
    pub x2: i32,
    pub y2: i32,
    pub width: String,
    pub dashed: bool,
}

/// A link as the table shows it.
pub(crate) struct EdgeRow {
    pub a_name: String,
    pub a_link: String,
    pub b_name: String,
    pub b_link: String,
    pub b_is_unit: bool,
    pub works: usize,
    pub projects: usize,
    pub paired: bool,
}

/// A node as the table shows it.
pub(crate) struct NodeRow {
    pub name: String,
    pub link: String,
    pub is_unit: bool,
    pub degree: usize,
    pub component: usize,
    pub distance: String,
}

#[derive(Template)]
#[template(path = "network.html")]
pub(crate) struct NetworkPage {
    pub page: Page,
    pub find: String,
    pub depth: usize,
    pub limit: usize,
    pub limits: Vec<usize>,
    pub candidates: Vec<(String, String, bool)>,
    pub not_found: bool,
    pub focus: Option<NodeRef>,
    pub summary: NetworkSummary,
    pub shown: usize,
    pub left_out: usize,
    pub nodes: Vec<DrawnNode>,
    pub edges: Vec<DrawnEdge>,
    pub edge_rows: Vec<EdgeRow>,
    pub node_rows: Vec<NodeRow>,
    pub description: String,
    pub width: i32,
    pub height: i32,
}

/// Query of the network page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NetworkQuery {
    finn: Option<String>,
    forsker: Option<String>,
    enhet: Option<String>,
    dybde: Option<String>,
    grense: Option<String>,
}

fn focus_link(kind: NodeKind, id: &str, depth: usize, limit: usize) -> String {
    let key = match kind {
        NodeKind::Researcher => "forsker",
        NodeKind::Unit => "enhet",
    };
    format!(
        "/koordinering/nettverk?{key}={}&dybde={depth}&grense={limit}",
        encode(id)
    )
}

/// `GET /koordinering/nettverk`.
pub(crate) async fn network(
    State(state): State<AppState>,
    viewer: Viewer,
    query: Result<Query<NetworkQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let session = viewer.require("/koordinering/nettverk")?;
    if !is_coordinator(&session.user) {
        return Err(WebError::Forbidden("coordinators only".into()));
    }
    // Unreadable parameters fall back to the whole network rather than an error.
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let depth = if query.dybde.as_deref() == Some("2") {
        2
    } else {
        1
    };
    let limit = query
        .grense
        .as_deref()
        .and_then(|g| g.parse::<usize>().ok())
        .filter(|g| LIMITS.contains(g))
        .unwrap_or(NETWORK_DEFAULT_NODES);
    let find = query.finn.as_deref().unwrap_or_default().trim().to_string();
    let mut focus = match (&query.forsker, &query.enhet) {
        (Some(id), _) if !id.is_empty() => Some((NodeKind::Researcher, id.clone())),
        (_, Some(id)) if !id.is_empty() => Some((NodeKind::Unit, id.clone())),
        _ => None,
    };
    let mut candidates = Vec::new();
    let mut not_found = false;
    if focus.is_none() && !find.is_empty() {
        let found = state
            .engine
            .find_network_nodes(&session.user, &find, MAX_CANDIDATES)
            .await?;
        match found.as_slice() {
            [] => not_found = true,
            [one] => focus = Some((one.kind, one.id.clone())),
            many => {
                candidates = many
                    .iter()
                    .map(|c| {
                        (
                            c.name.clone(),
                            focus_link(c.kind, &c.id, depth, limit),
                            c.kind == NodeKind::Unit,
                        )
                    })
                    .collect();
            }
        }
    }
    let view = state
        .engine
        .network(
            &session.user,
            &NetworkRequest {
                focus,
                depth,
                limit,
            },
        )
        .await?
        .value;
    let title = match &view.focus {
        Some(f) => format!("Nettverket rundt {}", f.name),
        None => "Nettverk".to_string(),
    };
    let (nodes, edges) = draw(&view);
    let names: HashMap<(NodeKind, &str), &NetworkNode> = view
        .nodes
        .iter()
        .map(|n| ((n.kind, n.id.as_str()), n))
        .collect();
    let name_of = |kind: NodeKind, id: &str| {
        names
            .get(&(kind, id))
            .map_or_else(|| id.to_string(), |n| n.name.clone())
    };
    let edge_rows = view
        .edges
        .iter()
        .map(|e| EdgeRow {
            a_name: name_of(NodeKind::Researcher, &e.researcher),
            a_link: focus_link(NodeKind::Researcher, &e.researcher, depth, limit),
            b_name: name_of(e.other_kind, &e.other),
            b_link: focus_link(e.other_kind, &e.other, depth, limit),
            b_is_unit: e.other_kind == NodeKind::Unit,
            works: e.works.len(),
            projects: e.projects.len(),
            paired: e.accepted_pairing,
        })
        .collect();
    let node_rows = view
        .nodes
        .iter()
        .map(|n| NodeRow {
            name: n.name.clone(),
            link: focus_link(n.kind, &n.id, depth, limit),
            is_unit: n.kind == NodeKind::Unit,
            degree: n.degree,
            component: n.component,
            distance: n.distance.map(|d| d.to_string()).unwrap_or_default(),
        })
        .collect();
    let description = describe(&view);
    let page = NetworkPage {
        page: Page::new(&title, "nettverk", Some(session)),
        find: if view.focus.is_some() {
            String::new()
        } else {
            find
        },
        depth,
        limit,
        limits: LIMITS.to_vec(),
        candidates,
        not_found,
        shown: view.nodes.len(),
        left_out: view.left_out,
        summary: view.summary.clone(),
        focus: view.focus.clone(),
        nodes,
        edges,
        edge_rows,
        node_rows,
        description,
        width: WIDTH as i32,
        height: HEIGHT as i32,
    };
    Ok(render(&page))
}

/// The drawing's description (its `<desc>`): what it shows, in words.
fn describe(view: &NetworkView) -> String {
    let researchers = view
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Researcher)
        .count();
    let units = view.nodes.len() - researchers;
    let mut text = match &view.focus {
        Some(f) => format!(
            "{} i midten, med {} innen {} ledd.",
            f.name,
            plural(
                view.nodes.len().saturating_sub(1),
                "forbindelse",
                "forbindelser"
            ),
            view.depth
        ),
        None => "De best forbundne forskerne og enhetene i hele nettverket.".to_string(),
    };
    text.push_str(&format!(
        " Tegningen viser {} og {}, med {} mellom dem.",
        plural(researchers, "forsker", "forskere"),
        plural(units, "kommunal enhet", "kommunale enheter"),
        plural(view.edges.len(), "forbindelse", "forbindelser"),
    ));
    if view.left_out > 0 {
        text.push_str(&format!(
            " {} andre innen rekkevidde er utelatt på grunn av grensen.",
            view.left_out
        ));
    }
    text.push_str(" Tabellene under tegningen viser de samme forbindelsene.");
    text
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A name cut to fit beside a node.
fn short(name: &str) -> String {
    if name.chars().count() <= LABEL_CHARS {
        name.to_string()
    } else {
        let cut: String = name.chars().take(LABEL_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

/// Positions for the view's nodes (same order), in the drawing's units.
pub(crate) fn layout(view: &NetworkView) -> Vec<(f64, f64)> {
    if view.nodes.is_empty() {
        return Vec::new();
    }
    let index: HashMap<(NodeKind, &str), usize> = view
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| ((n.kind, n.id.as_str()), i))
        .collect();
    let links: Vec<(usize, usize, usize)> = view
        .edges
        .iter()
        .filter_map(|e| {
            Some((
                *index.get(&(NodeKind::Researcher, e.researcher.as_str()))?,
                *index.get(&(e.other_kind, e.other.as_str()))?,
                e.weight(),
            ))
        })
        .collect();
    if view.focus.is_some() {
        radial(&view.nodes, &links)
    } else {
        force_directed(view.nodes.len(), &links)
    }
}

/// The centre in the middle; nearer nodes on an inner ellipse, each with a sector in proportion
/// to the outer nodes it brings; outer nodes within their parent's sector.
fn radial(nodes: &[NetworkNode], links: &[(usize, usize, usize)]) -> Vec<(f64, f64)> {
    let (cx, cy) = (WIDTH / 2.0, HEIGHT / 2.0);
    let outer_rx = WIDTH / 2.0 - LABEL_ROOM;
    let outer_ry = HEIGHT / 2.0 - EDGE_ROOM;
    let deepest = nodes.iter().filter_map(|n| n.distance).max().unwrap_or(0);
    let (inner_rx, inner_ry) = if deepest >= 2 {
        (outer_rx * 0.5, outer_ry * 0.5)
    } else {
        (outer_rx, outer_ry)
    };
    let weight = |a: usize, b: usize| {
        links
            .iter()
            .find(|&&(x, y, _)| (x, y) == (a, b) || (x, y) == (b, a))
            .map_or(0, |&(_, _, w)| w)
    };
    let inner: Vec<usize> = (0..nodes.len())
        .filter(|&i| nodes[i].distance == Some(1))
        .collect();
    // Each outer node hangs from the inner node it is most strongly linked to.
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in (0..nodes.len()).filter(|&i| nodes[i].distance == Some(2)) {
        let parent = inner
            .iter()
            .copied()
            .max_by_key(|&p| (weight(p, i), std::cmp::Reverse(p)))
            .filter(|&p| weight(p, i) > 0);
        if let Some(p) = parent {
            children.entry(p).or_default().push(i);
        }
    }
    let mut at = vec![(cx, cy); nodes.len()];
    let shares: Vec<f64> = inner
        .iter()
        .map(|p| children.get(p).map_or(1, |c| c.len().max(1)) as f64)
        .collect();
    let total: f64 = shares.iter().sum::<f64>().max(1.0);
    // Inner nodes in the middle of their sectors, from the top, clockwise.
    let mut inner_angle: HashMap<usize, f64> = HashMap::new();
    let mut angle = -FRAC_PI_2;
    for (k, &p) in inner.iter().enumerate() {
        let sector = TAU * shares[k] / total;
        let middle = angle + sector / 2.0;
        inner_angle.insert(p, middle);
        at[p] = (cx + inner_rx * middle.cos(), cy + inner_ry * middle.sin());
        angle += sector;
    }
    // Outer nodes at the mean angle of the inner nodes they are linked to (so their links stay
    // short), then moved apart along the ring until each has room.
    let mut outer: Vec<(f64, usize)> = (0..nodes.len())
        .filter(|&i| nodes[i].distance == Some(2))
        .map(|o| {
            let (mut sx, mut sy) = (0.0, 0.0);
            for (&p, &a) in &inner_angle {
                let w = weight(p, o) as f64;
                sx += w * a.cos();
                sy += w * a.sin();
            }
            let a = if sx.abs() + sy.abs() < 1e-9 {
                -FRAC_PI_2
            } else {
                sy.atan2(sx)
            };
            // Angles from the top, clockwise: [-π/2, 3π/2).
            (if a < -FRAC_PI_2 { a + TAU } else { a }, o)
        })
        .collect();
    outer.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let n = outer.len();
    if n > 1 {
        let gap = (TAU / n as f64 * 0.9).min(0.45);
        for _ in 0..200 {
            let mut moved = false;
            for k in 0..n {
                let next = (k + 1) % n;
                let wrap = if next == 0 { TAU } else { 0.0 };
                let room = outer[next].0 + wrap - outer[k].0;
                if room < gap - 1e-9 {
                    let push = (gap - room) / 2.0;
                    outer[k].0 -= push;
                    outer[next].0 += push;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
    }
    for (a, o) in outer {
        at[o] = (cx + outer_rx * a.cos(), cy + outer_ry * a.sin());
    }
    at
}

/// Fruchterman–Reingold from nodes on a circle in the given order: linked nodes pull
/// together, all nodes push apart, a pull to the middle keeps separate groups in view. Scaled
/// to the drawing afterwards.
fn force_directed(n: usize, links: &[(usize, usize, usize)]) -> Vec<(f64, f64)> {
    const ROUNDS: usize = 300;
    let mut at: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let a = std::f64::consts::TAU * i as f64 / n as f64;
            (a.cos(), a.sin())
        })
        .collect();
    if n == 1 {
        return vec![(WIDTH / 2.0, HEIGHT / 2.0)];
    }
    let k = (4.0 / n as f64).sqrt();
    let mut temperature = 0.2;
    for _ in 0..ROUNDS {
        let mut push = vec![(0.0f64, 0.0f64); n];
        for i in 0..n {
            for j in (i + 1)..n {
                let (dx, dy) = (at[i].0 - at[j].0, at[i].1 - at[j].1);
                let d2 = (dx * dx + dy * dy).max(1e-6);
                let f = k * k / d2;
                push[i].0 += dx * f;
                push[i].1 += dy * f;
                push[j].0 -= dx * f;
                push[j].1 -= dy * f;
            }
        }
        for &(a, b, w) in links {
            let (dx, dy) = (at[a].0 - at[b].0, at[a].1 - at[b].1);
            let d = (dx * dx + dy * dy).sqrt().max(1e-6);
            // Stronger links pull a little harder.
            let f = d / k * (1.0 + (w as f64).ln_1p() * 0.3);
            push[a].0 -= dx * f;
            push[a].1 -= dy * f;
            push[b].0 += dx * f;
            push[b].1 += dy * f;
        }
        for (i, p) in push.iter_mut().enumerate() {
            p.0 -= at[i].0 * 0.15;
            p.1 -= at[i].1 * 0.15;
            let len = (p.0 * p.0 + p.1 * p.1).sqrt().max(1e-9);
            let step = len.min(temperature);
            at[i].0 += p.0 / len * step;
            at[i].1 += p.1 / len * step;
        }
        temperature *= 0.985;
    }
    let mut at = fit(&at);
    spread_apart(&mut at);
    at
}

/// The least distance between two nodes of the whole network's drawing, room for a name.
const MIN_SEPARATION: f64 = 80.0;

/// Pushes nodes that ended up closer than [`MIN_SEPARATION`] apart (a dense group of
/// co-authors draws as a clump otherwise), keeping them inside the drawing's margins.
fn spread_apart(at: &mut [(f64, f64)]) {
    for _ in 0..60 {
        let mut moved = false;
        for i in 0..at.len() {
            for j in (i + 1)..at.len() {
                let (dx, dy) = (at[j].0 - at[i].0, at[j].1 - at[i].1);
                let d = dx.hypot(dy);
                if d >= MIN_SEPARATION {
                    continue;
                }
                // Two nodes on one spot part along a fixed direction.
                let (ux, uy) = if d < 1e-6 {
                    (1.0, 0.0)
                } else {
                    (dx / d, dy / d)
                };
                let push = (MIN_SEPARATION - d) / 2.0;
                at[i].0 -= ux * push;
                at[i].1 -= uy * push;
                at[j].0 += ux * push;
                at[j].1 += uy * push;
                moved = true;
            }
        }
        for p in at.iter_mut() {
            p.0 = p.0.clamp(LABEL_ROOM, WIDTH - LABEL_ROOM);
            p.1 = p.1.clamp(EDGE_ROOM, HEIGHT - EDGE_ROOM);
        }
        if !moved {
            break;
        }
    }
}

/// Scales points to fill the drawing inside its margins.
fn fit(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let (mut min_x, mut max_x, mut min_y, mut max_y) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in points {
        min_x = min_x.min(x);
        max_x = max_x.max(x);
        min_y = min_y.min(y);
        max_y = max_y.max(y);
    }
    let span_x = (max_x - min_x).max(1e-9);
    let span_y = (max_y - min_y).max(1e-9);
    let (w, h) = (WIDTH - 2.0 * LABEL_ROOM, HEIGHT - 2.0 * EDGE_ROOM);
    points
        .iter()
        .map(|&(x, y)| {
            (
                LABEL_ROOM + (x - min_x) / span_x * w,
                EDGE_ROOM + (y - min_y) / span_y * h,
            )
        })
        .collect()
}

/// The drawing: nodes with their names placed outward (pushed apart where they would
/// overlap), links with width by strength, accepted pairings dashed.
fn draw(view: &NetworkView) -> (Vec<DrawnNode>, Vec<DrawnEdge>) {
    let at = layout(view);
    let cx = match (&view.focus, at.first()) {
        (Some(_), Some(&(x, _))) => x,
        _ => WIDTH / 2.0,
    };
    let mut nodes: Vec<DrawnNode> = view
        .nodes
        .iter()
        .zip(&at)
        .enumerate()
        .map(|(i, (node, &(x, y)))| {
            let is_focus = view.focus.is_some() && i == 0;
            let r = if is_focus {
                13.0
            } else {
                (5.0 + (node.degree as f64).sqrt() * 1.5).min(11.0)
            };
            DrawnNode {
                x: x.round() as i32,
                y: y.round() as i32,
                r: r.round() as i32,
                is_unit: node.kind == NodeKind::Unit,
                is_focus,
                name: node.name.clone(),
                label: short(&node.name),
                label_x: 0,
                label_y: 0,
                anchor: "start",
            }
        })
        .collect();
    place_labels(&mut nodes, cx);
    let index: HashMap<(NodeKind, &str), usize> = view
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| ((n.kind, n.id.as_str()), i))
        .collect();
    let edges = view
        .edges
        .iter()
        .filter_map(|e: &NetworkEdge| {
            let a = *index.get(&(NodeKind::Researcher, e.researcher.as_str()))?;
            let b = *index.get(&(e.other_kind, e.other.as_str()))?;
            let shared = e.works.len() + e.projects.len();
            Some(DrawnEdge {
                x1: nodes[a].x,
                y1: nodes[a].y,
                x2: nodes[b].x,
                y2: nodes[b].y,
                width: format!("{:.1}", 1.2 + (shared as f64).ln_1p() * 1.2),
                dashed: e.accepted_pairing && shared == 0,
            })
        })
        .collect();
    (nodes, edges)
}

/// A rectangle: left, top, right, bottom.
type Box2 = (f64, f64, f64, f64);

fn overlap(a: Box2, b: Box2) -> f64 {
    let w = (a.2.min(b.2) - a.0.max(b.0)).max(0.0);
    let h = (a.3.min(b.3) - a.1.max(b.1)).max(0.0);
    w * h
}

/// How wide a name draws, roughly (system sans-serif at the label's size).
fn label_width(label: &str, focus: bool) -> f64 {
    label.chars().count() as f64 * if focus { 9.2 } else { 7.6 }
}

/// Places each name beside its node where it covers no other node and no name placed before
/// it: the centre's first, then the best-linked. A node tries the side facing away from the
/// middle (`outward_from` is the middle's x), the other side, below and above, and takes the
/// first free place, or the one that covers least.
fn place_labels(nodes: &mut [DrawnNode], outward_from: f64) {
    let node_boxes: Vec<Box2> = nodes
        .iter()
        .map(|n| {
            let r = f64::from(n.r) + if n.is_focus { 7.0 } else { 2.0 };
            let (x, y) = (f64::from(n.x), f64::from(n.y));
            (x - r, y - r, x + r, y + r)
        })
        .collect();
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    // The centre first, then bigger (better-linked) nodes.
    order.sort_by_key(|&i| (!nodes[i].is_focus, std::cmp::Reverse(nodes[i].r), i));
    let mut placed: Vec<Box2> = Vec::new();
    for i in order {
        let n = &nodes[i];
        let (x, y, r) = (f64::from(n.x), f64::from(n.y), f64::from(n.r));
        let r = if n.is_focus { r + 5.0 } else { r };
        let w = label_width(&n.label, n.is_focus);
        let right = (
            x + r + 6.0,
            y + 5.0,
            "start",
            (x + r + 6.0, y - 11.0, x + r + 6.0 + w, y + 5.0),
        );
        let left = (
            x - r - 6.0,
            y + 5.0,
            "end",
            (x - r - 6.0 - w, y - 11.0, x - r - 6.0, y + 5.0),
        );
        let below = (
            x,
            y + r + 17.0,
            "middle",
            (x - w / 2.0, y + r + 4.0, x + w / 2.0, y + r + 20.0),
        );
        let above = (
            x,
            y - r - 7.0,
            "middle",
            (x - w / 2.0, y - r - 20.0, x + w / 2.0, y - r - 4.0),
        );
        let candidates = if n.is_focus {
            [below, above, right, left]
        } else if x >= outward_from {
            [right, left, below, above]
        } else {
            [left, right, below, above]
        };
        let cost = |b: Box2| {
            let outside = if b.0 < 0.0 || b.1 < 0.0 || b.2 > WIDTH || b.3 > HEIGHT {
                1e6
            } else {
                0.0
            };
            let nodes_covered: f64 = node_boxes
                .iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(_, &nb)| overlap(b, nb))
                .sum();
            let labels_covered: f64 = placed.iter().map(|&p| overlap(b, p)).sum();
            outside + nodes_covered * 2.0 + labels_covered
        };
        let best = candidates.iter().copied().map(|c| (cost(c.3), c)).fold(
            None,
            |best: Option<(f64, _)>, (c, cand)| match best {
                // The first free place wins; otherwise the least covered.
                Some((b, _)) if b <= c => best,
                _ => Some((c, cand)),
            },
        );
        if let Some((_, (lx, ly, anchor, b))) = best {
            let n = &mut nodes[i];
            n.label_x = lx.round() as i32;
            n.label_y = ly.round() as i32;
            n.anchor = anchor;
            placed.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kind: NodeKind, id: &str, distance: Option<usize>) -> NetworkNode {
        NetworkNode {
            kind,
            id: id.into(),
            name: format!("Navn {id}"),
            degree: 2,
            component: 1,
            distance,
        }
    }

    fn edge(a: &str, b: &str, kind: NodeKind, works: usize) -> NetworkEdge {
        NetworkEdge {
            researcher: a.into(),
            other: b.into(),
            other_kind: kind,
            works: (0..works).map(|i| format!("w{i}")).collect(),
            projects: Vec::new(),
            accepted_pairing: works == 0,
        }
    }

    fn view(focus: bool) -> NetworkView {
        let d = |n| focus.then_some(n);
        NetworkView {
            focus: focus.then(|| NodeRef {
                kind: NodeKind::Researcher,
                id: "r1".into(),
                name: "Navn r1".into(),
            }),
            depth: 2,
            limit: 30,
            nodes: vec![
                node(NodeKind::Researcher, "r1", d(0)),
                node(NodeKind::Researcher, "r2", d(1)),
                node(NodeKind::Unit, "u1", d(1)),
                node(NodeKind::Researcher, "r3", d(2)),
                node(NodeKind::Researcher, "r4", d(2)),
            ],
            edges: vec![
                edge("r1", "r2", NodeKind::Researcher, 3),
                edge("r1", "u1", NodeKind::Unit, 0),
                edge("r2", "r3", NodeKind::Researcher, 1),
                edge("r2", "r4", NodeKind::Researcher, 1),
            ],
            left_out: 0,
            summary: NetworkSummary::default(),
        }
    }

    fn inside(points: &[(f64, f64)]) -> bool {
        points
            .iter()
            .all(|&(x, y)| (0.0..=WIDTH).contains(&x) && (0.0..=HEIGHT).contains(&y))
    }

    #[test]
    fn a_centred_view_puts_the_centre_in_the_middle_and_farther_nodes_farther_out() {
        let v = view(true);
        let at = layout(&v);
        assert!(inside(&at), "{at:?}");
        assert_eq!(at[0], (WIDTH / 2.0, HEIGHT / 2.0));
        let dist = |i: usize| {
            let (x, y) = at[i];
            ((x - WIDTH / 2.0) / (WIDTH / 2.0 - LABEL_ROOM))
                .hypot((y - HEIGHT / 2.0) / (HEIGHT / 2.0 - EDGE_ROOM))
        };
        assert!(dist(1) < dist(3) && dist(1) < dist(4), "{at:?}");
        assert!((dist(3) - 1.0).abs() < 1e-6, "outer ring: {at:?}");
    }

    #[test]
    fn the_whole_network_is_drawn_the_same_way_every_time_inside_the_drawing() {
        let v = view(false);
        let first = layout(&v);
        assert_eq!(first, layout(&v));
        assert!(inside(&first), "{first:?}");
        // Room for a name between any two nodes.
        for i in 0..first.len() {
            for j in (i + 1)..first.len() {
                let (a, b) = (first[i], first[j]);
                assert!(
                    (a.0 - b.0).hypot(a.1 - b.1) >= MIN_SEPARATION - 1.0,
                    "{first:?}"
                );
            }
        }
    }

    #[test]
    fn a_clump_of_nodes_is_spread_apart_inside_the_drawing() {
        // Twelve nodes within a few units of each other, and one right on another.
        let mut at: Vec<(f64, f64)> = (0..12)
            .map(|i| {
                let a = f64::from(i) * 0.5;
                (500.0 + 3.0 * a.cos(), 300.0 + 3.0 * a.sin())
            })
            .collect();
        at.push(at[0]);
        spread_apart(&mut at);
        assert!(inside(&at), "{at:?}");
        for i in 0..at.len() {
            for j in (i + 1)..at.len() {
                let d = (at[i].0 - at[j].0).hypot(at[i].1 - at[j].1);
                assert!(d >= MIN_SEPARATION * 0.9, "{i} {j}: {d} in {at:?}");
            }
        }
    }

    fn drawn(x: i32, y: i32, label: &str) -> DrawnNode {
        DrawnNode {
            x,
            y,
            r: 6,
            is_unit: false,
            is_focus: false,
            name: label.into(),
            label: label.into(),
            label_x: 0,
            label_y: 0,
            anchor: "start",
        }
    }

    fn label_box(n: &DrawnNode) -> Box2 {
        let w = label_width(&n.label, n.is_focus);
        let (x, y) = (f64::from(n.label_x), f64::from(n.label_y));
        let left = match n.anchor {
            "start" => x,
            "end" => x - w,
            _ => x - w / 2.0,
        };
        (left, y - 16.0, left + w, y)
    }

    #[test]
    fn names_go_where_they_cover_no_other_node_or_name() {
        // A node with a neighbour just to its right: its name goes elsewhere.
        let mut nodes = vec![
            drawn(600, 300, "Ingrid Solbakken"),
            drawn(680, 300, "Guro Vik"),
            drawn(600, 330, "Marcus Lindqvist"),
        ];
        place_labels(&mut nodes, 550.0);
        for (i, a) in nodes.iter().enumerate() {
            for (j, b) in nodes.iter().enumerate() {
                if i != j {
                    let nb = (
                        f64::from(b.x - b.r),
                        f64::from(b.y - b.r),
                        f64::from(b.x + b.r),
                        f64::from(b.y + b.r),
                    );
                    assert_eq!(
                        overlap(label_box(a), nb),
                        0.0,
                        "{} covers {}",
                        a.label,
                        b.label
                    );
                    if i < j {
                        assert_eq!(
                            overlap(label_box(a), label_box(b)),
                            0.0,
                            "{} and {}",
                            a.label,
                            b.label
                        );
                    }
                }
            }
        }
        // On the right of the middle, names face right when nothing is in the way.
        assert_eq!(nodes[1].anchor, "start");
    }

    #[test]
    fn pairing_only_links_are_dashed_and_long_names_are_cut() {
        let (nodes, edges) = draw(&view(true));
        assert_eq!(edges.len(), 4);
        assert_eq!(edges.iter().filter(|e| e.dashed).count(), 1);
        assert!(nodes[0].is_focus && nodes[2].is_unit);
        assert_eq!(short("Kort"), "Kort");
        let long = short("Institutt for samfunnsøkonomi og planlegging");
        assert_eq!(long.chars().count(), LABEL_CHARS);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn the_description_counts_what_is_drawn() {
        let text = describe(&view(true));
        assert!(
            text.starts_with("Navn r1 i midten, med 4 forbindelser innen 2 ledd."),
            "{text}"
        );
        assert!(text.contains("4 forskere og 1 kommunal enhet"), "{text}");
    }
}
