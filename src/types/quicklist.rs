//! Quicklist: the one encoding of every list in Redis 7.0 (quicklist.c).
//!
//! A deque of nodes, each a listpack of a bounded size, so pushes and pops at
//! either end are O(1) amortized and an access by index costs O(nodes + node
//! size). The node limit is `list-max-listpack-size`, fixed when the list is
//! created (`fill`): negative -1..-5 bounds a node's bytes at 4/8/16/32/64 KB,
//! positive bounds its entries (and its bytes at 8 KB). Elements of at least
//! the packed threshold (1 GB; `DEBUG QUICKLIST-PACKED-THRESHOLD`) live alone in
//! a `plain` node, as raw bytes.
//!
//! Node filling, splitting on insert and the merges that follow a split follow
//! quicklist.c's rules, so lists have Redis's node layout (MEMORY USAGE, DEBUG
//! QUICKLIST). Left out: `list-compress-depth` (LZF compression of inner nodes)
//! and bookmarks.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::listpack::{Listpack, LpValue};

/// Byte limits of a node for fill -1..-5 (optimization_level[]).
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Byte limit of a node when the fill counts entries.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Over-estimate of one listpack entry's overhead when checking room for it.
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// Largest positive fill (the 16-bit fill field).
const FILL_MAX: i64 = (1 << 15) - 1;
/// Default size from which an element gets a plain node of its own.
const DEFAULT_PACKED_THRESHOLD: usize = 1 << 30;

/// Elements of at least this many bytes get a plain node. Process-wide like
/// Redis's `packed_threshold`: only DEBUG QUICKLIST-PACKED-THRESHOLD changes it.
static PACKED_THRESHOLD: AtomicUsize = AtomicUsize::new(DEFAULT_PACKED_THRESHOLD);

/// Sets the plain-node threshold (0 restores 1 GB); false when it is too close
/// to 4 GB, like quicklistisSetPackedThreshold.
pub fn set_packed_threshold(sz: u64) -> bool {
    if sz > (1u64 << 32) - (1 << 20) {
        return false;
    }
    let sz = if sz == 0 {
        DEFAULT_PACKED_THRESHOLD
    } else {
        sz as usize
    };
    PACKED_THRESHOLD.store(sz, Ordering::Relaxed);
    true
}

fn is_large(sz: usize) -> bool {
    #[cfg(test)]
    if let Some(t) = tests::THRESHOLD.with(|c| c.get()) {
        return sz >= t;
    }
    sz >= PACKED_THRESHOLD.load(Ordering::Relaxed)
}

/// One node: a listpack, or a single large element stored as is.
#[derive(Debug, Clone)]
enum Node {
    Packed(Listpack),
    Plain(Box<[u8]>),
}

/// A node as RDB sees it: its container and data (for saving).
#[derive(Debug, Clone, Copy)]
pub enum NodeData<'a> {
    /// A listpack (RDB container 2, `PACKED`).
    Packed(&'a Listpack),
    /// One element stored as is (RDB container 1, `PLAIN`).
    Plain(&'a [u8]),
}

/// Either of two iterators (a node's entries, whatever its container).
enum Either<A, B> {
    A(A),
    B(B),
}

impl<T, A: Iterator<Item = T>, B: Iterator<Item = T>> Iterator for Either<A, B> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        match self {
            Either::A(a) => a.next(),
            Either::B(b) => b.next(),
        }
    }
}

impl<T, A: DoubleEndedIterator<Item = T>, B: DoubleEndedIterator<Item = T>> DoubleEndedIterator
    for Either<A, B>
{
    fn next_back(&mut self) -> Option<T> {
        match self {
            Either::A(a) => a.next_back(),
            Either::B(b) => b.next_back(),
        }
    }
}

/// Appends a listpack entry to another listpack.
fn push_value(lp: &mut Listpack, v: LpValue<'_>) {
    match v {
        LpValue::Str(s) => lp.push_back(s),
        LpValue::Int(n) => lp.push_back_int(n),
    }
}

impl Node {
    fn packed_with(v: &[u8]) -> Node {
        let mut lp = Listpack::new();
        lp.push_back(v);
        Node::Packed(lp)
    }

    fn len(&self) -> usize {
        match self {
            Node::Packed(lp) => lp.len(),
            Node::Plain(_) => 1,
        }
    }

    /// Bytes allocated for the node's data.
    fn heap_size(&self) -> usize {
        match self {
            Node::Packed(lp) => lp.heap_size(),
            Node::Plain(b) => crate::alloc::size_class(b.len()),
        }
    }

    /// The node's `sz`: listpack bytes, or the element's length.
    fn sz(&self) -> usize {
        match self {
            Node::Packed(lp) => lp.total_bytes(),
            Node::Plain(b) => b.len(),
        }
    }

    fn is_plain(&self) -> bool {
        matches!(self, Node::Plain(_))
    }

    fn get(&self, i: usize) -> Option<LpValue<'_>> {
        match self {
            Node::Packed(lp) => lp.get(i),
            Node::Plain(b) => (i == 0).then_some(LpValue::Str(b)),
        }
    }

    fn iter(&self) -> impl DoubleEndedIterator<Item = LpValue<'_>> + '_ {
        match self {
            Node::Packed(lp) => Either::A(lp.iter()),
            Node::Plain(b) => Either::B(std::iter::once(LpValue::Str(b))),
        }
    }

    /// The only element of a node being dropped whole.
    fn into_single(self) -> Option<Vec<u8>> {
        match self {
            Node::Packed(lp) => lp.get(0).map(|v| v.to_vec()),
            Node::Plain(b) => Some(b.into_vec()),
        }
    }

    /// Offset of the first element equal to `v`.
    fn find(&self, v: &[u8]) -> Option<usize> {
        match self {
            Node::Packed(lp) => lp.find(v, 0, 1),
            Node::Plain(b) => (**b == *v).then_some(0),
        }
    }
}

/// Room for one more element of `sz` bytes in `node` (_quicklistNodeAllowInsert).
fn allow_insert(node: Option<&Node>, fill: i32, sz: usize) -> bool {
    let Some(node) = node else { return false };
    if node.is_plain() || is_large(sz) {
        return false;
    }
    let new_sz = node.sz() + sz + SIZE_ESTIMATE_OVERHEAD;
    if meets_optimization_level(new_sz, fill) {
        true
    } else if new_sz > SIZE_SAFETY_LIMIT {
        false
    } else {
        (node.len() as i64) < fill as i64
    }
}

/// Whether two neighbours fit in one node (_quicklistNodeAllowMerge).
fn allow_merge(a: &Node, b: &Node, fill: i32) -> bool {
    if a.is_plain() || b.is_plain() {
        return false;
    }
    // One listpack header/trailer less, as Redis estimates it.
    let merge_sz = (a.sz() + b.sz()).saturating_sub(11);
    if meets_optimization_level(merge_sz, fill) {
        true
    } else if merge_sz > SIZE_SAFETY_LIMIT {
        false
    } else {
        (a.len() + b.len()) as i64 <= fill as i64
    }
}

fn meets_optimization_level(sz: usize, fill: i32) -> bool {
    if fill >= 0 {
        return false;
    }
    let level = (-(fill as i64) - 1) as usize;
    OPTIMIZATION_LEVEL.get(level).is_some_and(|&max| sz <= max)
}

/// A quicklist.
#[derive(Debug, Clone)]
pub struct Quicklist {
    nodes: VecDeque<Node>,
    /// Elements over all nodes.
    count: usize,
    /// `list-max-listpack-size` when the list was created, clamped to -5..=32767.
    fill: i32,
}

impl Default for Quicklist {
    fn default() -> Quicklist {
        Quicklist::new(-2)
    }
}

impl Quicklist {
    /// An empty quicklist with nodes bounded by `fill` (list-max-listpack-size).
    pub fn new(fill: i64) -> Quicklist {
        Quicklist {
            nodes: VecDeque::new(),
            count: 0,
            fill: fill.clamp(-5, FILL_MAX) as i32,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes head to tail, as RDB writes them.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = NodeData<'_>> + '_ {
        self.nodes.iter().map(|n| match n {
            Node::Packed(lp) => NodeData::Packed(lp),
            Node::Plain(b) => NodeData::Plain(b),
        })
    }

    /// Appends a listpack read from RDB as a node of its own, unmerged
    /// (quicklistAppendListpack). An empty listpack is dropped: no node is
    /// ever empty.
    pub fn append_listpack(&mut self, lp: Listpack) {
        if lp.is_empty() {
            return;
        }
        self.reserve_first_node();
        self.count += lp.len();
        self.nodes.push_back(Node::Packed(lp));
    }

    /// Appends a plain node read from RDB, whatever its size
    /// (quicklistAppendPlainNode).
    pub fn append_plain(&mut self, v: Box<[u8]>) {
        self.reserve_first_node();
        self.count += 1;
        self.nodes.push_back(Node::Plain(v));
    }

    /// Most lists fit in one node: give the first one a node array of exactly
    /// one slot rather than the deque's default of four.
    fn reserve_first_node(&mut self) {
        if self.nodes.capacity() == 0 {
            self.nodes.reserve_exact(1);
        }
    }

    /// Adds `v` at the head.
    pub fn push_front(&mut self, v: &[u8]) {
        if is_large(v.len()) {
            self.reserve_first_node();
            self.nodes.push_front(Node::Plain(v.into()));
        } else if allow_insert(self.nodes.front(), self.fill, v.len()) {
            if let Some(Node::Packed(lp)) = self.nodes.front_mut() {
                lp.push_front(v);
            }
        } else {
            self.reserve_first_node();
            self.nodes.push_front(Node::packed_with(v));
        }
        self.count += 1;
    }

    /// Adds `v` at the tail.
    pub fn push_back(&mut self, v: &[u8]) {
        if is_large(v.len()) {
            self.reserve_first_node();
            self.nodes.push_back(Node::Plain(v.into()));
        } else if allow_insert(self.nodes.back(), self.fill, v.len()) {
            if let Some(Node::Packed(lp)) = self.nodes.back_mut() {
                lp.push_back(v);
            }
        } else {
            self.reserve_first_node();
            self.nodes.push_back(Node::packed_with(v));
        }
        self.count += 1;
    }

    /// Removes and returns the head element.
    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let v = match self.nodes.front_mut()? {
            Node::Packed(lp) if lp.len() > 1 => {
                let v = lp.get(0)?.to_vec();
                lp.remove(0);
                v
            }
            _ => self.nodes.pop_front()?.into_single()?,
        };
        self.count -= 1;
        Some(v)
    }

    /// Removes and returns the tail element.
    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let v = match self.nodes.back_mut()? {
            Node::Packed(lp) if lp.len() > 1 => {
                let last = lp.len() - 1;
                let v = lp.get(last)?.to_vec();
                lp.remove(last);
                v
            }
            _ => self.nodes.pop_back()?.into_single()?,
        };
        self.count -= 1;
        Some(v)
    }

    /// A Redis index (negative counts from the tail) as a position from the head.
    pub fn normalize_index(&self, index: i64) -> Option<usize> {
        let i = if index < 0 {
            (self.count as i64).checked_add(index)?
        } else {
            index
        };
        (0..self.count as i64).contains(&i).then_some(i as usize)
    }

    /// Node and offset of element `index`, seeking from the nearer end.
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        if index >= self.count {
            return None;
        }
        if index <= (self.count - 1) / 2 {
            let mut acc = 0;
            for (i, n) in self.nodes.iter().enumerate() {
                if acc + n.len() > index {
                    return Some((i, index - acc));
                }
                acc += n.len();
            }
        } else {
            let back = self.count - 1 - index;
            let mut acc = 0;
            for (i, n) in self.nodes.iter().enumerate().rev() {
                if acc + n.len() > back {
                    return Some((i, n.len() - 1 - (back - acc)));
                }
                acc += n.len();
            }
        }
        None
    }

    /// Element `index` (negative counts from the tail).
    pub fn get(&self, index: i64) -> Option<LpValue<'_>> {
        let (n, off) = self.locate(self.normalize_index(index)?)?;
        self.nodes[n].get(off)
    }

    /// Elements head to tail (reversible).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = LpValue<'_>> + '_ {
        self.nodes.iter().flat_map(Node::iter)
    }

    /// Elements from position `index` towards the tail.
    pub fn iter_from(&self, index: usize) -> impl Iterator<Item = LpValue<'_>> + '_ {
        let (node, offset) = self.locate(index).unwrap_or((self.nodes.len(), 0));
        self.nodes
            .range(node..)
            .enumerate()
            .flat_map(move |(k, n)| n.iter().skip(if k == 0 { offset } else { 0 }))
    }

    /// Elements from position `index` towards the head.
    pub fn iter_rev_from(&self, index: usize) -> impl Iterator<Item = LpValue<'_>> + '_ {
        let (end, offset) = match self.locate(index) {
            Some((node, offset)) => (node + 1, offset),
            None => (0, 0),
        };
        self.nodes
            .range(..end)
            .rev()
            .enumerate()
            .flat_map(move |(k, n)| {
                let skip = if k == 0 { n.len() - 1 - offset } else { 0 };
                n.iter().rev().skip(skip)
            })
    }

    /// Replaces element `index` (LSET); false when out of range
    /// (quicklistReplaceAtIndex).
    pub fn replace(&mut self, index: i64, v: &[u8]) -> bool {
        let Some((ni, off)) = self.normalize_index(index).and_then(|i| self.locate(i)) else {
            return false;
        };
        let large = is_large(v.len());
        match &mut self.nodes[ni] {
            Node::Packed(lp) if !large => lp.replace(off, v),
            Node::Plain(b) if large => *b = v.into(),
            Node::Plain(_) => {
                // A small value replacing a plain node goes into a packed one.
                self.insert_at(ni, 0, v, true);
                self.remove_node(ni);
            }
            Node::Packed(_) => {
                // A large value in a packed node: insert it after the old entry
                // (splitting the node), which is then the node's last one.
                self.insert_at(ni, off, v, true);
                match &mut self.nodes[ni] {
                    Node::Packed(lp) if lp.len() > 1 => {
                        lp.remove(lp.len() - 1);
                        self.count -= 1;
                    }
                    _ => self.remove_node(ni),
                }
            }
        }
        true
    }

    /// Drops node `ni` with its elements.
    fn remove_node(&mut self, ni: usize) {
        if let Some(n) = self.nodes.remove(ni) {
            self.count -= n.len();
        }
    }

    /// Inserts `v` before or after the first element equal to `pivot` (LINSERT);
    /// false when there is no such element.
    pub fn insert_next_to(&mut self, pivot: &[u8], v: &[u8], after: bool) -> bool {
        let found = self
            .nodes
            .iter()
            .enumerate()
            .find_map(|(i, n)| n.find(pivot).map(|off| (i, off)));
        match found {
            Some((ni, off)) => {
                self.insert_at(ni, off, v, after);
                true
            }
            None => false,
        }
    }

    /// Inserts `v` before or after element `off` of node `ni` (_quicklistInsert):
    /// into that node when it has room, else into the neighbour it touches, else a
    /// new node — splitting the node when inserting in its middle, then merging
    /// what fits.
    fn insert_at(&mut self, ni: usize, off: usize, v: &[u8], after: bool) {
        let (fill, sz) = (self.fill, v.len());
        let node = &self.nodes[ni];
        let full = !allow_insert(Some(node), fill, sz);
        let at_tail = after && off + 1 == node.len();
        let at_head = !after && off == 0;
        let avail_next = at_tail && allow_insert(self.nodes.get(ni + 1), fill, sz);
        let avail_prev =
            at_head && ni > 0 && allow_insert(self.nodes.get(ni.wrapping_sub(1)), fill, sz);
        let plain_node = node.is_plain();
        // Where a new node next to this one goes.
        let beside = if after { ni + 1 } else { ni };
        self.count += 1;

        if is_large(sz) {
            let plain = Node::Plain(v.into());
            if plain_node || at_tail || at_head {
                self.nodes.insert(beside, plain);
            } else {
                let split = Node::Packed(self.split_node(ni, off, after));
                if after {
                    self.nodes.insert(ni + 1, plain);
                    self.nodes.insert(ni + 2, split);
                } else {
                    self.nodes.insert(ni, plain);
                    self.nodes.insert(ni, split);
                }
            }
            return;
        }

        if !full {
            if let Node::Packed(lp) = &mut self.nodes[ni] {
                lp.insert(if after { off + 1 } else { off }, v);
            }
        } else if avail_next {
            if let Node::Packed(lp) = &mut self.nodes[ni + 1] {
                lp.push_front(v);
            }
        } else if avail_prev {
            if let Node::Packed(lp) = &mut self.nodes[ni - 1] {
                lp.push_back(v);
            }
        } else if at_tail || at_head {
            self.nodes.insert(beside, Node::packed_with(v));
        } else {
            let mut split = self.split_node(ni, off, after);
            if after {
                split.push_front(v);
            } else {
                split.push_back(v);
            }
            self.nodes.insert(beside, Node::Packed(split));
            let center = if after { ni } else { ni + 1 };
            self.merge_around(center);
        }
    }

    /// Splits packed node `ni` at `off` (_quicklistSplitNode) and returns the part
    /// taken out: with `after`, elements (off, end] (the node keeps [0, off]);
    /// without, elements [0, off) (the node keeps [off, end]).
    fn split_node(&mut self, ni: usize, off: usize, after: bool) -> Listpack {
        let mut taken = Listpack::new();
        if let Node::Packed(lp) = &mut self.nodes[ni] {
            let n = lp.len();
            if after {
                lp.iter()
                    .skip(off + 1)
                    .for_each(|e| push_value(&mut taken, e));
                lp.remove_range(off + 1, n - off - 1);
            } else {
                lp.iter().take(off).for_each(|e| push_value(&mut taken, e));
                lp.remove_range(0, off);
            }
        }
        taken
    }

    /// After a split, merges the neighbours of node `center` that fit together
    /// (_quicklistMergeNodes).
    fn merge_around(&mut self, mut center: usize) {
        let fill = self.fill;
        if center >= 2 && allow_merge(&self.nodes[center - 2], &self.nodes[center - 1], fill) {
            self.merge_with_next(center - 2);
            center -= 1;
        }
        if center + 2 < self.nodes.len()
            && allow_merge(&self.nodes[center + 1], &self.nodes[center + 2], fill)
        {
            self.merge_with_next(center + 1);
        }
        let target =
            if center >= 1 && allow_merge(&self.nodes[center - 1], &self.nodes[center], fill) {
                self.merge_with_next(center - 1);
                center - 1
            } else {
                center
            };
        if target + 1 < self.nodes.len()
            && allow_merge(&self.nodes[target], &self.nodes[target + 1], fill)
        {
            self.merge_with_next(target);
        }
    }

    /// Joins packed nodes `i` and `i + 1` into node `i`.
    fn merge_with_next(&mut self, i: usize) {
        let (Some(Node::Packed(a)), Some(Node::Packed(b))) =
            (self.nodes.get(i), self.nodes.get(i + 1))
        else {
            return;
        };
        let mut merged = Listpack::new();
        a.iter()
            .chain(b.iter())
            .for_each(|e| push_value(&mut merged, e));
        self.nodes[i] = Node::Packed(merged);
        self.nodes.remove(i + 1);
    }

    /// Deletes `n` elements from position `start` (quicklistDelRange): whole nodes
    /// are dropped, partly covered ones trimmed.
    pub fn del_range(&mut self, start: usize, n: usize) {
        let mut extent = n.min(self.count.saturating_sub(start));
        if extent == 0 {
            return;
        }
        let Some((mut ni, mut off)) = self.locate(start) else {
            return;
        };
        while extent > 0 && ni < self.nodes.len() {
            let len = self.nodes[ni].len();
            if off == 0 && extent >= len {
                self.remove_node(ni);
                extent -= len;
                continue;
            }
            let del = (len - off).min(extent);
            if let Node::Packed(lp) = &mut self.nodes[ni] {
                lp.remove_range(off, del);
            }
            self.count -= del;
            extent -= del;
            ni += 1;
            off = 0;
        }
    }

    /// Removes up to `limit` elements equal to `v` (0: all), scanning from the head
    /// or from the tail (LREM). Returns how many were removed.
    pub fn remove_matching(&mut self, v: &[u8], limit: usize, from_tail: bool) -> usize {
        let limit = if limit == 0 { usize::MAX } else { limit };
        let mut removed = 0;
        let mut i = if from_tail { self.nodes.len() } else { 0 };
        loop {
            if removed >= limit {
                break;
            }
            if from_tail {
                if i == 0 {
                    break;
                }
                i -= 1;
            } else if i >= self.nodes.len() {
                break;
            }
            let before = self.nodes[i].len();
            let r = self.remove_matching_in_node(i, v, limit - removed, from_tail);
            removed += r;
            if r == before {
                self.remove_node(i);
                // Going forward, the next node now has index i.
                continue;
            }
            self.count -= r;
            if !from_tail {
                i += 1;
            }
        }
        removed
    }

    /// Removes up to `want` matches from node `ni` unless they are all its
    /// elements (the caller then drops the node). Returns the number of matches.
    fn remove_matching_in_node(&mut self, ni: usize, v: &[u8], want: usize, rev: bool) -> usize {
        let lp = match &mut self.nodes[ni] {
            Node::Plain(b) => return usize::from(**b == *v),
            Node::Packed(lp) => lp,
        };
        let n = lp.len();
        let mut hits: Vec<usize> = if rev {
            let mut h: Vec<usize> = lp
                .iter()
                .rev()
                .enumerate()
                .filter(|(_, e)| e.eq_bytes(v))
                .map(|(k, _)| n - 1 - k)
                .take(want)
                .collect();
            h.reverse();
            h
        } else {
            lp.iter()
                .enumerate()
                .filter(|(_, e)| e.eq_bytes(v))
                .map(|(k, _)| k)
                .take(want)
                .collect()
        };
        let found = hits.len();
        if found == n || found == 0 {
            return found;
        }
        if found <= 2 {
            while let Some(k) = hits.pop() {
                lp.remove(k);
            }
        } else {
            // Rebuild the node once rather than shifting it per match.
            let mut kept = Listpack::new();
            let mut next = hits.iter().peekable();
            for (k, e) in lp.iter().enumerate() {
                if next.peek() == Some(&&k) {
                    next.next();
                } else {
                    push_value(&mut kept, e);
                }
            }
            *lp = kept;
        }
        found
    }

    /// Heap bytes: the node array and every node's allocation.
    pub fn heap_size(&self) -> usize {
        let array = self.nodes.capacity() * std::mem::size_of::<Node>();
        let array = if array == 0 {
            0
        } else {
            crate::alloc::size_class(array)
        };
        array + self.nodes.iter().map(Node::heap_size).sum::<usize>()
    }

    /// DEBUG QUICKLIST's description (quicklistRepr), `full` adding the elements.
    pub fn repr(&self, full: bool) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "{{count : {}}}", self.count);
        let _ = writeln!(s, "{{len : {}}}", self.nodes.len());
        let _ = writeln!(s, "{{fill : {}}}", self.fill);
        let _ = writeln!(s, "{{compress : 0}}");
        let _ = writeln!(s, "{{bookmark_count : 0}}");
        for (i, n) in self.nodes.iter().enumerate() {
            let _ = writeln!(s, "{{quicklist node({i})");
            let _ = writeln!(
                s,
                "{{container : {}, encoding: RAW, size: {}, count: {}, recompress: 0, attempted_compress: 0}}",
                if n.is_plain() { "PLAIN" } else { "PACKED" },
                n.sz(),
                n.len()
            );
            if full {
                for e in n.iter() {
                    let _ = writeln!(s, "{{ entry : {} }}", String::from_utf8_lossy(&e.to_vec()));
                }
                let _ = writeln!(s, "}}");
            }
        }
        s
    }

    /// Node lengths head to tail (for tests).
    #[cfg(test)]
    fn node_lens(&self) -> Vec<usize> {
        self.nodes.iter().map(Node::len).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// A per-test packed threshold, so tests running in parallel don't share one.
        pub(super) static THRESHOLD: Cell<Option<usize>> = const { Cell::new(None) };
    }

    fn items(q: &Quicklist) -> Vec<Vec<u8>> {
        q.iter().map(|v| v.to_vec()).collect()
    }

    fn strs(q: &Quicklist) -> Vec<String> {
        q.iter()
            .map(|v| String::from_utf8(v.to_vec()).unwrap())
            .collect()
    }

    fn from_range(fill: i64, n: usize) -> Quicklist {
        let mut q = Quicklist::new(fill);
        for i in 0..n {
            q.push_back(i.to_string().as_bytes());
        }
        q
    }

    #[test]
    fn positive_fill_bounds_entries_per_node() {
        let q = from_range(4, 10);
        assert_eq!(q.node_lens(), vec![4, 4, 2]);
        assert_eq!(q.len(), 10);
    }

    #[test]
    fn negative_fill_bounds_node_bytes() {
        let mut q = Quicklist::new(-1);
        for _ in 0..100 {
            q.push_back(&[b'x'; 100]);
        }
        assert!(q.node_count() > 1);
        assert!(q.nodes.iter().all(|n| n.sz() <= 4096));
        assert_eq!(q.len(), 100);
    }

    #[test]
    fn heap_size_counts_node_array_and_listpacks() {
        let mut q = Quicklist::new(-2);
        assert_eq!(q.heap_size(), 0);
        q.push_back(b"a");
        let one = q.heap_size();
        assert_eq!(q.nodes.capacity(), 1);
        for i in 0..1000 {
            q.push_back(format!("e{i}").as_bytes());
        }
        assert!(q.heap_size() >= one + 5000);
    }

    #[test]
    fn push_and_pop_at_both_ends() {
        let mut q = Quicklist::new(2);
        q.push_back(b"b");
        q.push_front(b"a");
        q.push_back(b"c");
        q.push_back(b"7");
        assert_eq!(strs(&q), ["a", "b", "c", "7"]);
        assert_eq!(q.pop_front().unwrap(), b"a");
        assert_eq!(q.pop_back().unwrap(), b"7");
        assert_eq!(q.pop_back().unwrap(), b"c");
        assert_eq!(q.pop_back().unwrap(), b"b");
        assert_eq!(q.pop_back(), None);
        assert!(q.is_empty());
        assert_eq!(q.node_count(), 0);
    }

    #[test]
    fn get_accepts_negative_indexes_and_rejects_out_of_range() {
        let q = from_range(3, 10);
        for i in 0..10i64 {
            assert_eq!(q.get(i).unwrap().as_i64(), Some(i));
            assert_eq!(q.get(-i - 1).unwrap().as_i64(), Some(9 - i));
        }
        assert!(q.get(10).is_none());
        assert!(q.get(-11).is_none());
        assert!(q.get(i64::MIN).is_none());
    }

    #[test]
    fn iterators_start_at_any_position_in_both_directions() {
        let q = from_range(3, 10);
        let fwd: Vec<i64> = q.iter_from(4).filter_map(|v| v.as_i64()).collect();
        assert_eq!(fwd, vec![4, 5, 6, 7, 8, 9]);
        let back: Vec<i64> = q.iter_rev_from(4).filter_map(|v| v.as_i64()).collect();
        assert_eq!(back, vec![4, 3, 2, 1, 0]);
        assert_eq!(q.iter_from(10).count(), 0);
        assert_eq!(q.iter_rev_from(10).count(), 0);
    }

    #[test]
    fn insert_in_middle_of_full_node_splits_it() {
        let mut q = from_range(4, 8);
        assert_eq!(q.node_lens(), vec![4, 4]);
        assert!(q.insert_next_to(b"1", b"x", true));
        assert_eq!(strs(&q), ["0", "1", "x", "2", "3", "4", "5", "6", "7"]);
        assert!(q.node_lens().iter().all(|&n| n <= 4));
        assert!(q.insert_next_to(b"6", b"y", false));
        assert_eq!(strs(&q), ["0", "1", "x", "2", "3", "4", "5", "y", "6", "7"]);
        assert!(!q.insert_next_to(b"nope", b"z", false));
        assert_eq!(q.len(), 10);
    }

    #[test]
    fn insert_at_full_node_edge_uses_the_neighbour() {
        let mut q = from_range(4, 6);
        assert_eq!(q.node_lens(), vec![4, 2]);
        assert!(q.insert_next_to(b"3", b"x", true));
        assert_eq!(q.node_lens(), vec![4, 3]);
        assert_eq!(strs(&q), ["0", "1", "2", "3", "x", "4", "5"]);
    }

    #[test]
    fn replace_keeps_order_and_rejects_out_of_range() {
        let mut q = from_range(4, 6);
        assert!(q.replace(1, b"foo"));
        assert!(q.replace(-1, b"bar"));
        assert!(!q.replace(6, b"x"));
        assert_eq!(strs(&q), ["0", "foo", "2", "3", "4", "bar"]);
    }

    #[test]
    fn del_range_spans_nodes() {
        let mut q = from_range(3, 10);
        q.del_range(2, 5);
        assert_eq!(strs(&q), ["0", "1", "7", "8", "9"]);
        q.del_range(3, 100);
        assert_eq!(strs(&q), ["0", "1", "7"]);
        q.del_range(0, 3);
        assert!(q.is_empty());
        assert_eq!(q.node_count(), 0);
    }

    #[test]
    fn remove_matching_from_head_and_tail() {
        let mut q = Quicklist::new(3);
        for v in ["a", "x", "b", "x", "x", "c", "x", "x"] {
            q.push_back(v.as_bytes());
        }
        assert_eq!(q.remove_matching(b"x", 1, false), 1);
        assert_eq!(strs(&q), ["a", "b", "x", "x", "c", "x", "x"]);
        assert_eq!(q.remove_matching(b"x", 3, true), 3);
        assert_eq!(strs(&q), ["a", "b", "x", "c"]);
        assert_eq!(q.remove_matching(b"x", 0, false), 1);
        assert_eq!(q.remove_matching(b"nope", 0, false), 0);
        assert_eq!(strs(&q), ["a", "b", "c"]);
        assert_eq!(q.len(), 3);
    }

    #[test]
    fn remove_matching_many_in_one_node_rebuilds_it() {
        let mut q = Quicklist::new(-2);
        for i in 0..100 {
            q.push_back(if i % 3 == 0 { b"1" } else { b"y" });
        }
        assert_eq!(q.remove_matching(b"1", 0, false), 34);
        assert_eq!(q.len(), 66);
        assert!(q.iter().all(|v| v.eq_bytes(b"y")));
    }

    #[test]
    fn integers_compare_by_value_text() {
        let mut q = Quicklist::new(-2);
        q.push_back(b"12");
        q.push_back(b"012");
        assert_eq!(q.remove_matching(b"12", 0, false), 1);
        assert_eq!(items(&q), vec![b"012".to_vec()]);
    }

    #[test]
    fn large_elements_get_plain_nodes() {
        THRESHOLD.with(|c| c.set(Some(10)));
        let big = b"xxxxxxxxxxxx";
        let mut q = Quicklist::new(-2);
        q.push_back(b"a");
        q.push_back(big);
        q.push_front(big);
        q.push_back(b"b");
        assert_eq!(q.node_lens(), vec![1, 1, 1, 1]);
        assert!(q.nodes[0].is_plain() && q.nodes[2].is_plain());
        assert_eq!(q.get(1).unwrap().to_vec(), b"a");
        assert_eq!(q.pop_front().unwrap(), big);
        assert_eq!(q.len(), 3);
        THRESHOLD.with(|c| c.set(None));
    }

    #[test]
    fn replace_moves_values_between_plain_and_packed_nodes() {
        THRESHOLD.with(|c| c.set(Some(5)));
        let mut q = Quicklist::new(-2);
        for v in ["aa", "bb", "cc", "dd", "ee"] {
            q.push_back(v.as_bytes());
        }
        assert!(q.replace(2, b"eeeeeeeeee"));
        assert_eq!(strs(&q), ["aa", "bb", "eeeeeeeeee", "dd", "ee"]);
        assert_eq!(q.node_lens(), vec![2, 1, 2]);
        assert!(q.replace(2, b"cc"));
        assert_eq!(strs(&q), ["aa", "bb", "cc", "dd", "ee"]);
        assert!(q.replace(-1, b"ffffffffff"));
        assert_eq!(strs(&q), ["aa", "bb", "cc", "dd", "ffffffffff"]);
        assert!(q.replace(-1, b"gggggggggg"));
        assert_eq!(q.get(-1).unwrap().to_vec(), b"gggggggggg");
        assert_eq!(q.len(), 5);
        THRESHOLD.with(|c| c.set(None));
    }

    #[test]
    fn insert_of_large_value_in_node_middle_splits_around_plain_node() {
        THRESHOLD.with(|c| c.set(Some(5)));
        let mut q = Quicklist::new(-2);
        for v in ["a", "b", "c", "d"] {
            q.push_back(v.as_bytes());
        }
        assert!(q.insert_next_to(b"b", b"xxxxxxx", true));
        assert_eq!(strs(&q), ["a", "b", "xxxxxxx", "c", "d"]);
        assert_eq!(q.node_lens(), vec![2, 1, 2]);
        assert!(q.insert_next_to(b"xxxxxxx", b"y", false));
        assert_eq!(strs(&q), ["a", "b", "y", "xxxxxxx", "c", "d"]);
        assert_eq!(q.remove_matching(b"xxxxxxx", 0, false), 1);
        assert_eq!(strs(&q), ["a", "b", "y", "c", "d"]);
        q.del_range(1, 3);
        assert_eq!(strs(&q), ["a", "d"]);
        THRESHOLD.with(|c| c.set(None));
    }
}
