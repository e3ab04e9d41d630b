//! Ordering a set of migrations into one linear chain, and the ways that can fail.

use std::collections::{BTreeMap, HashMap};

/// What the chain rules need to know about one migration.
pub trait ChainNode {
    /// The migration's revision id.
    fn revision(&self) -> &str;
    /// The revision it follows, `None` for the first migration.
    fn down_revision(&self) -> Option<&str>;
}

impl<T: ChainNode + ?Sized> ChainNode for &T {
    fn revision(&self) -> &str {
        (**self).revision()
    }
    fn down_revision(&self) -> Option<&str> {
        (**self).down_revision()
    }
}

/// One reason a set of migrations is not a single chain. Indexes point into the
/// slice given to [`order_chain`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainError {
    /// No migration at all.
    Empty,
    /// Two or more migrations share one revision id.
    Duplicate {
        /// The shared id.
        revision: String,
        /// Every migration holding it, in input order.
        nodes: Vec<usize>,
    },
    /// A `down_revision` names no known revision.
    UnknownParent {
        /// The migration whose `down_revision` dangles.
        node: usize,
        /// The missing revision it names.
        parent: String,
    },
    /// Two or more migrations revise the same parent: the chain has several heads.
    Fork {
        /// The shared parent.
        parent: String,
        /// The migrations revising it, in input order.
        children: Vec<usize>,
    },
    /// Two or more migrations have `down_revision = None`.
    MultipleRoots {
        /// The roots, in input order.
        roots: Vec<usize>,
    },
    /// The `down_revision` links loop back on themselves.
    Cycle {
        /// The migrations on the loop, each followed by the one it revises.
        members: Vec<usize>,
    },
}

/// Orders `nodes` from base to head, or returns every reason they are not one chain.
///
/// A chain is valid when revision ids are unique, every `down_revision` names a
/// known revision, exactly one migration is the root (`down_revision = None`), no
/// two migrations revise the same parent, and there is no cycle.
///
/// ```
/// use migrate_core::{order_chain, ChainNode};
/// struct M(&'static str, Option<&'static str>);
/// impl ChainNode for M {
///     fn revision(&self) -> &str { self.0 }
///     fn down_revision(&self) -> Option<&str> { self.1 }
/// }
/// let nodes = [M("b", Some("a")), M("a", None)];
/// assert_eq!(order_chain(&nodes).unwrap(), vec![1, 0]);
/// ```
pub fn order_chain<N: ChainNode>(nodes: &[N]) -> Result<Vec<usize>, Vec<ChainError>> {
    if nodes.is_empty() {
        return Err(vec![ChainError::Empty]);
    }
    let mut errors = Vec::new();

    // BTreeMap keeps the error order independent of hashing, so compile errors are stable.
    let mut by_rev: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, n) in nodes.iter().enumerate() {
        by_rev.entry(n.revision()).or_default().push(i);
    }
    for (rev, idx) in &by_rev {
        if idx.len() > 1 {
            errors.push(ChainError::Duplicate {
                revision: (*rev).to_owned(),
                nodes: idx.clone(),
            });
        }
    }

    let mut children: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut roots = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        match n.down_revision() {
            None => roots.push(i),
            Some(parent) if !by_rev.contains_key(parent) => {
                errors.push(ChainError::UnknownParent {
                    node: i,
                    parent: parent.to_owned(),
                })
            }
            Some(parent) => children.entry(parent).or_default().push(i),
        }
    }
    for (parent, kids) in &children {
        if kids.len() > 1 {
            errors.push(ChainError::Fork {
                parent: (*parent).to_owned(),
                children: kids.clone(),
            });
        }
    }
    if roots.len() > 1 {
        errors.push(ChainError::MultipleRoots {
            roots: roots.clone(),
        });
    }

    // Cycles: with unique ids and no forks, every node that is not reachable from a
    // root lies on a loop. Find the loops by following down_revision links.
    let first_of: HashMap<&str, usize> = by_rev.iter().map(|(r, idx)| (*r, idx[0])).collect();
    let mut state = vec![0u8; nodes.len()]; // 0 unseen, 1 on current walk, 2 done
    for start in 0..nodes.len() {
        let mut walk = Vec::new();
        let mut cur = Some(start);
        while let Some(i) = cur {
            match state[i] {
                2 => break,
                1 => {
                    let pos = walk.iter().position(|&w| w == i).unwrap_or(0);
                    errors.push(ChainError::Cycle {
                        members: walk[pos..].to_vec(),
                    });
                    break;
                }
                _ => {}
            }
            state[i] = 1;
            walk.push(i);
            cur = nodes[i]
                .down_revision()
                .and_then(|p| first_of.get(p).copied());
        }
        for i in walk {
            state[i] = 2;
        }
    }
    if roots.is_empty() && errors.is_empty() {
        // Unreachable with the rules above (a rootless set without dangling
        // parents must loop), kept so that a rule change can never turn a
        // rootless set into an empty "valid" chain.
        errors.push(ChainError::Cycle {
            members: (0..nodes.len()).collect(),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut order = Vec::with_capacity(nodes.len());
    let mut cur = roots.first().copied();
    while let Some(i) = cur {
        order.push(i);
        cur = children
            .get(nodes[i].revision())
            .and_then(|kids| kids.first().copied());
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct M(&'static str, Option<&'static str>);
    impl ChainNode for M {
        fn revision(&self) -> &str {
            self.0
        }
        fn down_revision(&self) -> Option<&str> {
            self.1
        }
    }

    #[test]
    fn orders_base_to_head_whatever_the_input_order() {
        let nodes = [M("c", Some("b")), M("a", None), M("b", Some("a"))];
        assert_eq!(order_chain(&nodes), Ok(vec![1, 2, 0]));
    }

    #[test]
    fn single() {
        assert_eq!(order_chain(&[M("a", None)]), Ok(vec![0]));
    }

    #[test]
    fn empty() {
        assert_eq!(order_chain::<M>(&[]), Err(vec![ChainError::Empty]));
    }

    #[test]
    fn duplicate() {
        let nodes = [M("a", None), M("b", Some("a")), M("b", Some("a"))];
        let errs = order_chain(&nodes).unwrap_err();
        assert!(errs.contains(&ChainError::Duplicate {
            revision: "b".into(),
            nodes: vec![1, 2]
        }));
    }

    #[test]
    fn dangling_parent() {
        let nodes = [M("a", None), M("b", Some("zzz"))];
        assert_eq!(
            order_chain(&nodes),
            Err(vec![ChainError::UnknownParent {
                node: 1,
                parent: "zzz".into()
            }])
        );
    }

    #[test]
    fn fork() {
        let nodes = [M("a", None), M("b", Some("a")), M("c", Some("a"))];
        assert_eq!(
            order_chain(&nodes),
            Err(vec![ChainError::Fork {
                parent: "a".into(),
                children: vec![1, 2]
            }])
        );
    }

    #[test]
    fn two_roots() {
        let nodes = [M("a", None), M("b", None)];
        assert_eq!(
            order_chain(&nodes),
            Err(vec![ChainError::MultipleRoots { roots: vec![0, 1] }])
        );
    }

    #[test]
    fn cycle_beside_a_valid_root() {
        let nodes = [M("a", None), M("x", Some("y")), M("y", Some("x"))];
        assert_eq!(
            order_chain(&nodes),
            Err(vec![ChainError::Cycle {
                members: vec![1, 2]
            }])
        );
    }

    #[test]
    fn self_cycle_without_root() {
        let nodes = [M("x", Some("x"))];
        assert_eq!(
            order_chain(&nodes),
            Err(vec![ChainError::Cycle { members: vec![0] }])
        );
    }

    #[test]
    fn no_first_migration_only_a_dangling_parent() {
        let nodes = [M("b", Some("a"))];
        assert_eq!(
            order_chain(&nodes),
            Err(vec![ChainError::UnknownParent {
                node: 0,
                parent: "a".into()
            }])
        );
    }

    #[test]
    fn long_chain() {
        let ids: Vec<String> = (0..500).map(|i| format!("r{i:04}")).collect();
        struct S(String, Option<String>);
        impl ChainNode for S {
            fn revision(&self) -> &str {
                &self.0
            }
            fn down_revision(&self) -> Option<&str> {
                self.1.as_deref()
            }
        }
        let nodes: Vec<S> = ids
            .iter()
            .enumerate()
            .rev()
            .map(|(i, id)| S(id.clone(), i.checked_sub(1).map(|p| ids[p].clone())))
            .collect();
        let order = order_chain(&nodes).unwrap();
        assert_eq!(order.len(), 500);
        assert_eq!(nodes[order[0]].0, "r0000");
        assert_eq!(nodes[order[499]].0, "r0499");
    }
}
