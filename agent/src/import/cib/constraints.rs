//! Constraints: typed when they are plain colocations, orders or locations between
//! typed resources; stray `cli-*` ones left alone; the rest verbatim.

use super::typed::Builder;
use super::xml::{attrs, elements};
use crate::import::summary::Fate;
use roxmltree::Node;
use schema::validate::net;
use schema::{Colocation, Location, Order};

impl Builder<'_, '_> {
    fn typed_ids(&self) -> Vec<String> {
        let spec = &self.out.spec;
        spec.resource_ids().into_iter().map(|(_, id)| id).collect()
    }

    pub(super) fn constraint(&mut self, e: Node) {
        let id = e.attribute("id").unwrap_or("").to_string();
        if id.starts_with("cli-prefer-") || id.starts_with("cli-ban-") {
            return self.count(
                e,
                Fate::Unmanaged,
                "a stray constraint from a manual move/ban: left as it is (the agent reports it)",
            );
        }
        if self.banned.contains(&id) {
            return self.raw(e, false, "its typed form would not be the same");
        }
        let typed = self.typed_ids();
        let known = |k: &str| e.attribute(k).is_some_and(|r| typed.iter().any(|t| t == r));
        let a = attrs(e);
        let only = |allowed: &[&str]| {
            a.iter().all(|(k, _)| allowed.contains(k)) && elements(e).next().is_none()
        };
        let score_ok = e.attribute("score").is_some_and(net::is_score);
        let c = &mut self.out.spec.constraints;
        let ok = match e.tag_name().name() {
            "rsc_colocation"
                if only(&["id", "rsc", "with-rsc", "score"])
                    && known("rsc")
                    && known("with-rsc")
                    && score_ok =>
            {
                c.colocations.push(Colocation {
                    id,
                    rsc: e.attribute("rsc").unwrap().into(),
                    with_rsc: e.attribute("with-rsc").unwrap().into(),
                    score: e.attribute("score").unwrap().into(),
                });
                true
            }
            "rsc_order"
                if only(&["id", "first", "then", "kind", "first-action", "then-action"])
                    && known("first")
                    && known("then")
                    && e.attribute("first-action").is_none_or(|x| x == "start")
                    && e.attribute("then-action").is_none_or(|x| x == "start")
                    && e.attribute("kind")
                        .is_none_or(|k| ["Mandatory", "Optional", "Serialize"].contains(&k)) =>
            {
                c.orders.push(Order {
                    id,
                    first: e.attribute("first").unwrap().into(),
                    then: e.attribute("then").unwrap().into(),
                    kind: e.attribute("kind").map(String::from),
                });
                true
            }
            "rsc_location"
                if only(&["id", "rsc", "node", "score"])
                    && known("rsc")
                    && score_ok
                    && e.attribute("node")
                        .is_some_and(|n| self.out.spec.nodes.iter().any(|x| x == n)) =>
            {
                c.locations.push(Location {
                    id,
                    rsc: e.attribute("rsc").unwrap().into(),
                    node: e.attribute("node").unwrap().into(),
                    score: e.attribute("score").unwrap().into(),
                });
                true
            }
            _ => false,
        };
        if ok {
            self.count(e, Fate::Typed, "");
        } else {
            self.raw(
                e,
                false,
                "a constraint with rules, roles, sets or a resource kept verbatim",
            );
        }
    }
}
