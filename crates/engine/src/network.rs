//! The network: who works with whom. Researchers are linked by the works they wrote together
//! and the projects they shared; a researcher is linked to a municipal unit by the projects
//! they did with it and by a pairing a coordinator accepted (DESIGN.md's graph: authorship,
//! co-authorship, participation, accepted matches). The graph is a petgraph graph; it answers
//! its connected components, each node's degree, and a node's neighbourhood, cut to a number of
//! nodes a person can read.
//!
//! It is built from the store's references, aggregated to distinct pairs in SQL, on each call;
//! at national scale it would be kept between calls and refreshed by the store's `seq`.

use crate::access::is_coordinator;
use crate::pairings::verdicts_in_force;
use crate::{Engine, EngineError, Fresh, Result};
use kobler_core::{Kind, Record};
use kobler_store::{PairingVerdict, User};
use petgraph::graph::{NodeIndex, UnGraph};
use petgraph::unionfind::UnionFind;
use petgraph::visit::EdgeRef;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// Nodes shown when none is asked for.
pub const NETWORK_DEFAULT_NODES: usize = 30;
/// The most nodes shown at once (more is not readable as a drawing).
pub const NETWORK_MAX_NODES: usize = 150;
/// The fewest nodes shown (a focus and one neighbour).
pub const NETWORK_MIN_NODES: usize = 2;
/// The deepest neighbourhood: a focus's collaborators and theirs.
pub const NETWORK_MAX_DEPTH: usize = 2;

/// What a node of the network is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    /// A researcher.
    Researcher,
    /// A municipal unit (department).
    Unit,
}

impl NodeKind {
    /// `researcher` or `unit`.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Researcher => "researcher",
            NodeKind::Unit => "unit",
        }
    }
}

/// A node: a researcher or a municipal unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkNode {
    /// Researcher or unit.
    pub kind: NodeKind,
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// How many others it is linked to in the whole network.
    pub degree: usize,
    /// Its connected component, numbered from 1 by size (1 is the largest).
    pub component: usize,
    /// Links from the focus (0 for the focus itself), when there is a focus.
    pub distance: Option<usize>,
}

/// A link between a researcher and another researcher or a municipal unit, and what it is made
/// of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NetworkEdge {
    /// Researcher id (for two researchers, the smaller id).
    pub researcher: String,
    /// The other end's id.
    pub other: String,
    /// The other end: researcher or unit.
    pub other_kind: NodeKind,
    /// Works both researchers wrote (ids).
    pub works: Vec<String>,
    /// Projects both took part in (ids).
    pub projects: Vec<String>,
    /// Whether a coordinator's accepted pairing links the researcher and the unit.
    pub accepted_pairing: bool,
}

impl NetworkEdge {
    /// How strong the link is: one for each shared work and project, one for an accepted
    /// pairing.
    pub fn weight(&self) -> usize {
        self.works.len() + self.projects.len() + usize::from(self.accepted_pairing)
    }
}

/// The whole network in figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NetworkSummary {
    /// Researchers in the store.
    pub researchers: usize,
    /// Municipal units in the store.
    pub units: usize,
    /// Researchers and units with at least one link.
    pub linked: usize,
    /// Links.
    pub links: usize,
    /// Connected groups of two or more.
    pub components: usize,
    /// Nodes in the largest group.
    pub largest_component: usize,
}

/// A node to centre the view on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeRef {
    /// Researcher or unit.
    pub kind: NodeKind,
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// What to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkRequest {
    /// Centre on this node (kind, id); none: the best-linked nodes of the whole network.
    pub focus: Option<(NodeKind, String)>,
    /// How many links out from the focus (1 or 2).
    pub depth: usize,
    /// The most nodes to show (clamped to 2..=150).
    pub limit: usize,
}

impl Default for NetworkRequest {
    fn default() -> Self {
        NetworkRequest {
            focus: None,
            depth: 1,
            limit: NETWORK_DEFAULT_NODES,
        }
    }
}

/// A readable part of the network.
#[derive(Debug, Clone, Serialize)]
pub struct NetworkView {
    /// The node in the centre, if one was asked for.
    pub focus: Option<NodeRef>,
    /// Links out from the focus.
    pub depth: usize,
    /// The most nodes shown.
    pub limit: usize,
    /// The nodes shown: the focus first, then by closeness and link strength; without a focus,
    /// the best-linked first.
    pub nodes: Vec<NetworkNode>,
    /// Every link between two nodes shown, strongest first.
    pub edges: Vec<NetworkEdge>,
    /// Nodes within reach that the limit left out.
    pub left_out: usize,
    /// The whole network.
    pub summary: NetworkSummary,
}

type Key = (NodeKind, String);

/// The network as a petgraph graph.
struct Network {
    graph: UnGraph<Key, NetworkEdge>,
    index: HashMap<Key, NodeIndex>,
}

impl Network {
    fn node(&mut self, key: Key) -> NodeIndex {
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.graph.add_node(key.clone());
        self.index.insert(key, i);
        i
    }

    /// The link between a researcher and another node, made on first use.
    fn link(&mut self, researcher: &str, other: Key) -> &mut NetworkEdge {
        let (researcher, other) = match other {
            (NodeKind::Researcher, id) if id.as_str() < researcher => {
                (id, (NodeKind::Researcher, researcher.to_string()))
            }
            other => (researcher.to_string(), other),
        };
        let a = self.node((NodeKind::Researcher, researcher.clone()));
        let b = self.node(other.clone());
        let edge = match self.graph.find_edge(a, b) {
            Some(edge) => edge,
            None => self.graph.add_edge(
                a,
                b,
                NetworkEdge {
                    researcher,
                    other: other.1,
                    other_kind: other.0,
                    works: Vec::new(),
                    projects: Vec::new(),
                    accepted_pairing: false,
                },
            ),
        };
        &mut self.graph[edge]
    }

    /// Component of each node, numbered from 1 by size (largest first, ties by smallest node
    /// key), and each component's size.
    fn components(&self) -> (Vec<usize>, Vec<usize>) {
        let mut sets = UnionFind::<usize>::new(self.graph.node_count());
        for edge in self.graph.edge_references() {
            sets.union(edge.source().index(), edge.target().index());
        }
        let labels = sets.into_labeling();
        let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (node, label) in labels.iter().enumerate() {
            members.entry(*label).or_default().push(node);
        }
        let mut groups: Vec<(usize, Key, Vec<usize>)> = members
            .into_values()
            .map(|group| {
                let first = group
                    .iter()
                    .map(|&n| self.graph[NodeIndex::new(n)].clone())
                    .min()
                    .unwrap_or((NodeKind::Researcher, String::new()));
                (group.len(), first, group)
            })
            .collect();
        groups.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let groups: Vec<Vec<usize>> = groups.into_iter().map(|(_, _, g)| g).collect();
        let mut component = vec![0; self.graph.node_count()];
        let mut sizes = Vec::with_capacity(groups.len());
        for (number, group) in groups.iter().enumerate() {
            for &node in group {
                component[node] = number + 1;
            }
            sizes.push(group.len());
        }
        (component, sizes)
    }

    fn strength(&self, node: NodeIndex) -> usize {
        self.graph.edges(node).map(|e| e.weight().weight()).sum()
    }

    /// The weight of the link between two nodes (0 when none).
    fn weight_between(&self, a: NodeIndex, b: NodeIndex) -> usize {
        self.graph
            .find_edge(a, b)
            .map_or(0, |e| self.graph[e].weight())
    }
}

fn coordinators_only(user: &User) -> Result<()> {
    if is_coordinator(user) {
        Ok(())
    } else {
        Err(EngineError::Forbidden(
            "only coordinators and admins see the network".into(),
        ))
    }
}

impl Engine {
    async fn build_network(&self, municipal: &BTreeMap<String, String>) -> crate::Result<Network> {
        let mut network = Network {
            graph: UnGraph::default(),
            index: HashMap::new(),
        };
        for pair in self
            .store
            .co_references(Kind::Work, "authors", "authors")
            .await?
        {
            network.link(&pair.a, (NodeKind::Researcher, pair.b)).works = pair.via;
        }
        for pair in self
            .store
            .co_references(Kind::Project, "participants", "participants")
            .await?
        {
            network
                .link(&pair.a, (NodeKind::Researcher, pair.b))
                .projects = pair.via;
        }
        for pair in self
            .store
            .co_references(Kind::Project, "participants", "units")
            .await?
        {
            if municipal.contains_key(&pair.b) {
                network.link(&pair.a, (NodeKind::Unit, pair.b)).projects = pair.via;
            }
        }
        let decisions = self.store.pairing_decisions().await?;
        let mut accepted: Vec<(&String, &String)> = verdicts_in_force(&decisions)
            .into_values()
            .filter(|d| d.decision == PairingVerdict::Accepted)
            .map(|d| (&d.researcher, &d.unit))
            .collect();
        accepted.sort();
        for (researcher, unit) in accepted {
            network
                .link(researcher, (NodeKind::Unit, unit.clone()))
                .accepted_pairing = true;
        }
        Ok(network)
    }

    /// Builds the whole network, with what requests read from it, for the background worker
    /// to keep ([`KeptNetwork`]).
    pub(crate) async fn compute_network(&self) -> crate::Result<KeptNetwork> {
        let municipal = self.directory().await?.municipal_units();
        let network = self.build_network(&municipal).await?;
        let (component, sizes) = network.components();
        let mut researchers: Vec<NodeRef> = self
            .store
            .list(Kind::Researcher)
            .await?
            .into_iter()
            .filter_map(|r| match r {
                Record::Researcher(r) => Some(NodeRef {
                    kind: NodeKind::Researcher,
                    id: r.id,
                    name: r.name,
                }),
                _ => None,
            })
            .collect();
        researchers.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        let by_strength = by_strength(&network);
        Ok(KeptNetwork {
            network,
            component,
            sizes,
            municipal,
            researcher_at: researchers
                .iter()
                .enumerate()
                .map(|(i, r)| (r.id.clone(), i))
                .collect(),
            lowercase_names: researchers.iter().map(|r| r.name.to_lowercase()).collect(),
            researchers,
            by_strength,
        })
    }

    /// Researchers and municipal units whose name contains `text` (case does not matter),
    /// researchers first, at most `max`. For coordinators and admins. Reads the names the
    /// background worker keeps with the network.
    pub async fn find_network_nodes(
        &self,
        user: &User,
        text: &str,
        max: usize,
    ) -> Result<Vec<NodeRef>> {
        coordinators_only(user)?;
        let wanted = text.trim().to_lowercase();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let kept = self.derived.network.get("the network").await?;
        let kept = &kept.value;
        let mut found: Vec<NodeRef> = kept
            .lowercase_names
            .iter()
            .zip(&kept.researchers)
            .filter(|(name, _)| name.contains(&wanted))
            .take(max)
            .map(|(_, r)| r.clone())
            .collect();
        found.extend(
            kept.municipal
                .iter()
                .filter(|(_, name)| name.to_lowercase().contains(&wanted))
                .map(|(id, name)| NodeRef {
                    kind: NodeKind::Unit,
                    id: id.clone(),
                    name: name.clone(),
                }),
        );
        found.sort_by(|a, b| {
            a.kind
                .cmp(&b.kind)
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.id.cmp(&b.id))
        });
        found.truncate(max);
        Ok(found)
    }

    /// A readable part of the network: the neighbourhood of a focus (up to `depth` links out),
    /// or without one the best-linked nodes, at most `limit` nodes, with every link among them
    /// and figures for the whole network. For coordinators and admins. Reads the network the
    /// background worker keeps.
    pub async fn network(
        &self,
        user: &User,
        request: &NetworkRequest,
    ) -> Result<Fresh<NetworkView>> {
        coordinators_only(user)?;
        if !(1..=NETWORK_MAX_DEPTH).contains(&request.depth) {
            return Err(EngineError::Invalid(format!(
                "depth must be 1 or {NETWORK_MAX_DEPTH}"
            )));
        }
        let limit = request.limit.clamp(NETWORK_MIN_NODES, NETWORK_MAX_NODES);
        let fresh = self.derived.network.get("the network").await?;
        let kept = &fresh.value;
        let municipal = &kept.municipal;
        let focus = match &request.focus {
            None => None,
            Some((NodeKind::Unit, id)) => match municipal.get(id) {
                Some(name) => Some(NodeRef {
                    kind: NodeKind::Unit,
                    id: id.clone(),
                    name: name.clone(),
                }),
                None => return Err(EngineError::NotFound(format!("no municipal unit {id:?}"))),
            },
            Some((NodeKind::Researcher, id)) => match kept.researcher(id) {
                Some(r) => Some(r.clone()),
                None => return Err(EngineError::NotFound(format!("no researcher {id:?}"))),
            },
        };
        let network = &kept.network;
        let (component, sizes) = (&kept.component, &kept.sizes);
        let summary = NetworkSummary {
            researchers: kept.researchers.len(),
            units: municipal.len(),
            linked: network.graph.node_count(),
            links: network.graph.edge_count(),
            components: sizes.iter().filter(|&&s| s >= 2).count(),
            largest_component: sizes.first().copied().filter(|&s| s >= 2).unwrap_or(0),
        };
        let start = focus
            .as_ref()
            .map(|f| network.index.get(&(f.kind, f.id.clone())).copied());
        let (chosen, distance, left_out) = match start {
            Some(Some(start)) => neighbourhood(network, start, request.depth, limit),
            // A focus with no links yet is a group of its own, alone in its view.
            Some(None) => {
                let nodes = focus
                    .iter()
                    .map(|f| NetworkNode {
                        kind: f.kind,
                        id: f.id.clone(),
                        name: f.name.clone(),
                        degree: 0,
                        component: sizes.len() + 1,
                        distance: Some(0),
                    })
                    .collect();
                let view = NetworkView {
                    focus,
                    depth: request.depth,
                    limit,
                    nodes,
                    edges: Vec::new(),
                    left_out: 0,
                    summary,
                };
                return Ok(fresh.map(view));
            }
            None => {
                let left_out = kept.by_strength.len().saturating_sub(limit);
                let chosen = kept.by_strength.iter().take(limit).copied().collect();
                (chosen, HashMap::new(), left_out)
            }
        };
        let nodes = chosen
            .iter()
            .map(|&n| {
                let (kind, id) = network.graph[n].clone();
                let name = match kind {
                    NodeKind::Researcher => kept.researcher(&id).map(|r| &r.name),
                    NodeKind::Unit => municipal.get(&id),
                }
                .cloned()
                .unwrap_or_else(|| id.clone());
                NetworkNode {
                    kind,
                    name,
                    degree: network.graph.neighbors(n).count(),
                    component: component.get(n.index()).copied().unwrap_or(0),
                    distance: distance.get(&n).copied(),
                    id,
                }
            })
            .collect();
        let shown: HashSet<NodeIndex> = chosen.iter().copied().collect();
        let mut edges: Vec<NetworkEdge> = network
            .graph
            .edge_references()
            .filter(|e| shown.contains(&e.source()) && shown.contains(&e.target()))
            .map(|e| e.weight().clone())
            .collect();
        edges.sort_by(|a, b| {
            b.weight()
                .cmp(&a.weight())
                .then_with(|| a.researcher.cmp(&b.researcher))
                .then_with(|| a.other.cmp(&b.other))
        });
        let view = NetworkView {
            focus,
            depth: request.depth,
            limit,
            nodes,
            edges,
            left_out,
            summary,
        };
        Ok(fresh.map(view))
    }
}

/// The whole network as the background worker keeps it, with what requests read beside it.
pub(crate) struct KeptNetwork {
    network: Network,
    /// Component of each node (see [`Network::components`]) and each component's size.
    component: Vec<usize>,
    sizes: Vec<usize>,
    /// Municipal units' names by id.
    municipal: BTreeMap<String, String>,
    /// Every researcher, by name, and where each id stands in that list.
    researchers: Vec<NodeRef>,
    researcher_at: HashMap<String, usize>,
    /// The researchers' names in lower case, in the same order, for name search.
    lowercase_names: Vec<String>,
    /// The linked nodes, most strongly linked first: the view without a focus.
    by_strength: Vec<NodeIndex>,
}

impl KeptNetwork {
    fn researcher(&self, id: &str) -> Option<&NodeRef> {
        self.researcher_at
            .get(id)
            .and_then(|&i| self.researchers.get(i))
    }
}

/// The focus and the nodes up to `depth` links from it, at most `limit`: nearer first, and
/// among equally near the ones most strongly linked to the nodes already chosen. Returns the
/// nodes, their distances and how many within reach were left out.
fn neighbourhood(
    network: &Network,
    start: NodeIndex,
    depth: usize,
    limit: usize,
) -> (Vec<NodeIndex>, HashMap<NodeIndex, usize>, usize) {
    let mut distance: HashMap<NodeIndex, usize> = HashMap::from([(start, 0)]);
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        let d = distance[&node];
        if d == depth {
            continue;
        }
        for next in network.graph.neighbors(node) {
            if let std::collections::hash_map::Entry::Vacant(entry) = distance.entry(next) {
                entry.insert(d + 1);
                queue.push_back(next);
            }
        }
    }
    let reach = distance.len();
    let mut chosen = vec![start];
    for ring in 1..=depth {
        let mut candidates: Vec<(usize, usize, NodeIndex)> = distance
            .iter()
            .filter(|&(_, &d)| d == ring)
            .map(|(&n, _)| {
                // Strength of its link into the part already chosen.
                let tie = chosen
                    .iter()
                    .map(|&c| network.weight_between(c, n))
                    .max()
                    .unwrap_or(0);
                (tie, network.strength(n), n)
            })
            // Reached only through nodes the limit left out: not connected to the drawing.
            .filter(|&(tie, _, _)| tie > 0)
            .collect();
        candidates.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| b.1.cmp(&a.1))
                .then_with(|| network.graph[a.2].cmp(&network.graph[b.2]))
        });
        for (_, _, n) in candidates {
            if chosen.len() >= limit {
                break;
            }
            chosen.push(n);
        }
    }
    let kept: HashSet<NodeIndex> = chosen.iter().copied().collect();
    distance.retain(|n, _| kept.contains(n));
    (chosen, distance, reach - kept.len())
}

/// The linked nodes, most strongly linked first (ties by node key): the view without a focus
/// takes the first of them.
fn by_strength(network: &Network) -> Vec<NodeIndex> {
    let mut nodes: Vec<(usize, NodeIndex)> = network
        .graph
        .node_indices()
        .map(|n| (network.strength(n), n))
        .filter(|&(s, _)| s > 0)
        .collect();
    nodes.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| network.graph[a.1].cmp(&network.graph[b.1]))
    });
    nodes.into_iter().map(|(_, n)| n).collect()
}
