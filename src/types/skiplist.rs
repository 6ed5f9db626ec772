//! The `skiplist` encoding of sorted sets: Redis's `zset` (a `zskiplist` plus a
//! dict member → score), as one structure.
//!
//! # Order
//!
//! Elements are ordered by score, then by member bytes (memcmp order). Every level
//! link carries a span (how many elements it jumps over), so the rank of an element,
//! the element at a rank and the ends of a score or lex range are found in
//! O(log N). Levels are drawn with p = 1/4, at most 32, as in Redis. Each link also
//! knows the node before it on its level, so a node can be taken out or moved
//! knowing only its id.
//!
//! # Storage
//!
//! Nodes live in one arena (`Vec<Node>`) and refer to each other by index: no
//! `unsafe`, no allocation per node besides the member bytes (and, for the one node
//! in four that has more than one level, its upper levels). The header is node 0.
//! The arena stays dense: deleting a node moves the last node of the arena into the
//! hole and repoints the links to it, O(height) thanks to the back links. So memory
//! follows the element count; node ids are only stable until the next deletion.
//! The arena grows by half, not double, as it is most of the memory.
//!
//! Links carry the score of the node they lead to, so a search compares scores
//! without visiting the nodes it passes by. An upper-level link also carries the
//! address of the upper levels of the node it leads to (a node's boxed upper
//! levels never move, even when the arena moves the node): the insert and delete
//! searches go down the upper levels from box to box, one cache miss per step as
//! in Redis, whose levels sit in the node, instead of two (arena slot, then its
//! box). That address is the module's one `unsafe` read; every write of a link
//! keeps it equal to the target's box (`set_link`), `Clone` re-derives it, and
//! `check` verifies it. The layout stays about as compact as Redis's (about 80
//! bytes per element plus the member and the arena's spare room).
//!
//! A search leaves level 1 for level 0 at a node it reached through its box, and
//! level 0 lives in the node's arena slot: a second cache miss. So each step on
//! level 1 prefetches the arena slot of the node it lands on, and the two misses
//! overlap (on a 100,000-member set that cut a score update by about 30%,
//! `cargo bench --bench zset -- new_scores`).
//!
//! # Member index
//!
//! Instead of a separate dict holding a second copy of every member, the nodes are
//! also chained into a hash table by member (`Node::hnext`, bucket heads are node
//! ids): ZSCORE and ZADD find a member's node in O(1) and each member is stored
//! once. The table works like Redis's dict: power-of-two sizes, grown at load
//! factor 1 and shrunk below 10% fill, rehashed incrementally (one bucket per
//! write) so no command pays for moving the whole table, and scanned with the
//! reverse-binary cursor of `dictScan`, so ZSCAN keeps its guarantees across
//! resizes. It follows the keyspace dict's resize policy while a fork child runs.

use std::cmp::Ordering;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::mem::size_of;

use crate::db::dict::{resize_policy, ResizePolicy};
use crate::util::prefetch::{prefetch_read, StagedLookup};

/// Maximum number of levels (Redis `ZSKIPLIST_MAXLEVEL`).
pub const MAX_LEVEL: usize = 32;

/// "No node": the end of a level, the element before the first one.
pub const NIL: u32 = u32::MAX;

const HEADER: u32 = 0;

/// An empty bucket or the end of a hash chain (the header, node 0, is never
/// indexed).
const NONE: u32 = 0;

/// Initial (and minimum) number of buckets of the member index.
const INDEX_MIN_SIZE: usize = 4;

/// One level of a node: the next node on this level, its score (so a search
/// reads only the links it follows, one cache miss per step as in Redis, where
/// the levels sit inside the node), and how many elements the link jumps over.
#[derive(Debug, Clone, Copy)]
struct Level {
    /// Score of `forward` (meaningless at the end of a level).
    fscore: f64,
    forward: u32,
    span: u32,
}

const EMPTY_LEVEL: Level = Level {
    fscore: 0.0,
    forward: NIL,
    span: 0,
};

/// An upper level and the node before on that level (the header for the first).
#[derive(Debug, Clone, Copy)]
struct Upper {
    l: Level,
    back: u32,
    /// The upper levels of `l.forward` (its `Node::upper`), null at the end of
    /// the level.
    fwd_up: *const Upper,
}

/// A node: level 0 inline; the upper levels, which 3 nodes in 4 don't have, in a
/// boxed slice.
#[derive(Debug, Clone)]
struct Node {
    ele: Box<[u8]>,
    score: f64,
    first: Level,
    /// The node before on level 0 (the header for the first element).
    back0: u32,
    /// Next node in the same member-index bucket (NONE at the end).
    hnext: u32,
    upper: Box<[Upper]>,
}

impl Node {
    fn new(ele: Box<[u8]>, score: f64, height: usize) -> Node {
        let upper = Upper {
            l: EMPTY_LEVEL,
            back: HEADER,
            fwd_up: std::ptr::null(),
        };
        Node {
            ele,
            score,
            first: EMPTY_LEVEL,
            back0: HEADER,
            hnext: NONE,
            upper: vec![upper; height - 1].into_boxed_slice(),
        }
    }

    #[inline]
    fn height(&self) -> usize {
        1 + self.upper.len()
    }

    #[inline]
    fn level(&self, i: usize) -> &Level {
        if i == 0 {
            &self.first
        } else {
            &self.upper[i - 1].l
        }
    }

    #[inline]
    fn level_mut(&mut self, i: usize) -> &mut Level {
        if i == 0 {
            &mut self.first
        } else {
            &mut self.upper[i - 1].l
        }
    }

    #[inline]
    fn back(&self, i: usize) -> u32 {
        if i == 0 {
            self.back0
        } else {
            self.upper[i - 1].back
        }
    }

    #[inline]
    fn set_back(&mut self, i: usize, b: u32) {
        if i == 0 {
            self.back0 = b;
        } else {
            self.upper[i - 1].back = b;
        }
    }
}

/// A score interval, each end inclusive or exclusive (Redis `zrangespec`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

impl ScoreRange {
    /// True when `v` is not below the start of the range.
    #[inline]
    pub fn gte_min(&self, v: f64) -> bool {
        if self.minex {
            v > self.min
        } else {
            v >= self.min
        }
    }

    /// True when `v` is not above the end of the range.
    #[inline]
    pub fn lte_max(&self, v: f64) -> bool {
        if self.maxex {
            v < self.max
        } else {
            v <= self.max
        }
    }

    /// True when no score can be in the range.
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
}

/// One end of a lex range: `-`, `+`, or a member (Redis's minstring/maxstring).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: below every member.
    Min,
    /// `+`: above every member.
    Max,
    /// `[member` or `(member`.
    Value(Vec<u8>),
}

impl LexBound {
    /// Redis `sdscmplex` between two bounds.
    fn cmp(&self, other: &LexBound) -> Ordering {
        match (self, other) {
            (LexBound::Min, LexBound::Min) | (LexBound::Max, LexBound::Max) => Ordering::Equal,
            (LexBound::Min, _) | (_, LexBound::Max) => Ordering::Less,
            (LexBound::Max, _) | (_, LexBound::Min) => Ordering::Greater,
            (LexBound::Value(a), LexBound::Value(b)) => a.cmp(b),
        }
    }
}

/// A member interval (Redis `zlexrangespec`). `-` and `+` count as exclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
    pub minex: bool,
    pub maxex: bool,
}

impl LexRange {
    /// True when `v` is not below the start of the range.
    pub fn gte_min(&self, v: &[u8]) -> bool {
        match &self.min {
            LexBound::Min => true,
            LexBound::Max => false,
            LexBound::Value(m) if self.minex => v > m.as_slice(),
            LexBound::Value(m) => v >= m.as_slice(),
        }
    }

    /// True when `v` is not above the end of the range.
    pub fn lte_max(&self, v: &[u8]) -> bool {
        match &self.max {
            LexBound::Max => true,
            LexBound::Min => false,
            LexBound::Value(m) if self.maxex => v < m.as_slice(),
            LexBound::Value(m) => v <= m.as_slice(),
        }
    }

    /// True when no member can be in the range.
    pub fn is_empty(&self) -> bool {
        match self.min.cmp(&self.max) {
            Ordering::Greater => true,
            Ordering::Equal => self.minex || self.maxex,
            Ordering::Less => false,
        }
    }
}

/// Where a member-index link lives: a bucket head or a node's `hnext`.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Bucket(usize),
    Next(u32),
}

/// What a deletion moved: the arena's last node now lives at `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Moved {
    from: u32,
    to: u32,
}

impl Moved {
    #[inline]
    fn remap(self, id: u32) -> u32 {
        if id == self.from {
            self.to
        } else {
            id
        }
    }
}

/// The member hash (SipHash-1-2 with the per-process key, like the keyspace dict).
fn hash(ele: &[u8]) -> u64 {
    crate::util::siphash::process_hasher().hash_one(ele)
}

#[inline]
fn bucket(h: u64, table: &[u32]) -> usize {
    (h as usize) & (table.len() - 1)
}

/// Sorted elements plus the member index.
#[derive(Debug)]
pub struct SkipList {
    /// `nodes[0]` is the header (MAX_LEVEL levels, no element).
    nodes: Vec<Node>,
    /// The last element, or NIL.
    tail: u32,
    /// Levels in use (at least 1).
    level: usize,
    /// Bytes owned by nodes beyond their arena slot: members and upper levels.
    owned_bytes: usize,
    rng: u64,
    /// Member index buckets; table 1 exists only while rehashing into it.
    buckets: [Vec<u32>; 2],
    /// Elements in each table.
    used: [usize; 2],
    /// Next bucket of table 0 to move while rehashing.
    rehash_idx: Option<usize>,
}

// SAFETY: the raw `Upper::fwd_up` pointers point only into boxes this skiplist
// owns, so moving it to another thread moves them along, like the boxes
// themselves; shared access only reads.
unsafe impl Send for SkipList {}
// SAFETY: as above.
unsafe impl Sync for SkipList {}

impl Clone for SkipList {
    /// The boxes of upper levels are copied to new addresses, so every
    /// `fwd_up` is derived again for the copy.
    fn clone(&self) -> SkipList {
        let mut s = SkipList {
            nodes: self.nodes.clone(),
            tail: self.tail,
            level: self.level,
            owned_bytes: self.owned_bytes,
            rng: self.rng,
            buckets: self.buckets.clone(),
            used: self.used,
            rehash_idx: self.rehash_idx,
        };
        for n in 0..s.nodes.len() {
            for i in 1..s.nodes[n].height() {
                let fwd = s.nodes[n].upper[i - 1].l.forward;
                let up = s.upper_base(fwd);
                s.nodes[n].upper[i - 1].fwd_up = up;
            }
        }
        s
    }
}

impl Default for SkipList {
    fn default() -> Self {
        Self::new()
    }
}

impl SkipList {
    pub fn new() -> SkipList {
        SkipList {
            nodes: vec![Node::new(Box::default(), 0.0, MAX_LEVEL)],
            tail: NIL,
            level: 1,
            owned_bytes: 0,
            rng: seed(),
            buckets: [Vec::new(), Vec::new()],
            used: [0, 0],
            rehash_idx: None,
        }
    }

    /// An empty skiplist with room for `n` elements (arena and index).
    pub fn with_capacity(n: usize) -> SkipList {
        let mut s = SkipList::new();
        if n > 0 {
            s.nodes.reserve_exact(n);
            s.buckets[0] = vec![NONE; n.max(INDEX_MIN_SIZE).next_power_of_two()];
        }
        s
    }

    /// Number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.nodes.len() - 1
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes held: the arena (by capacity), members, upper levels and index
    /// buckets.
    pub fn heap_size(&self) -> usize {
        self.nodes.capacity() * size_of::<Node>()
            + self.owned_bytes
            + (self.buckets[0].capacity() + self.buckets[1].capacity()) * size_of::<u32>()
    }

    #[inline]
    fn lv(&self, n: u32, i: usize) -> &Level {
        self.nodes[n as usize].level(i)
    }

    #[inline]
    fn lv_mut(&mut self, n: u32, i: usize) -> &mut Level {
        self.nodes[n as usize].level_mut(i)
    }

    #[inline]
    fn fwd(&self, n: u32, i: usize) -> u32 {
        self.lv(n, i).forward
    }

    #[inline]
    fn set_back(&mut self, n: u32, i: usize, b: u32) {
        self.nodes[n as usize].set_back(i, b);
    }

    /// The address of node `n`'s upper levels (null for NIL).
    #[inline]
    fn upper_base(&self, n: u32) -> *const Upper {
        if n == NIL {
            std::ptr::null()
        } else {
            self.nodes[n as usize].upper.as_ptr()
        }
    }

    /// Sets level `i` of node `n` to `l`, keeping an upper level's `fwd_up` the
    /// address of its new target's upper levels.
    #[inline]
    fn set_link(&mut self, n: u32, i: usize, l: Level) {
        if i == 0 {
            self.nodes[n as usize].first = l;
        } else {
            let up = self.upper_base(l.forward);
            let u = &mut self.nodes[n as usize].upper[i - 1];
            u.l = l;
            u.fwd_up = up;
        }
    }

    /// Level `i` (>= 1) of the node whose upper levels are at `up`.
    ///
    /// # Safety
    /// `up` must be `upper_base(x)` of a live node `x` of height > `i`. The
    /// searches start from the header's, which has every level, and follow a
    /// level-`i` link only to a node that has level `i`, taking its `fwd_up`,
    /// which `set_link` and `Clone` keep equal to that node's `upper_base`.
    #[inline]
    unsafe fn upper_at(up: *const Upper, i: usize) -> Upper {
        *up.add(i - 1)
    }

    /// For each level, the last node sorting before (`score`, `ele`) and its
    /// rank (Redis's `update` and `rank` arrays of `zslInsert`).
    fn search(&self, score: f64, ele: &[u8]) -> ([u32; MAX_LEVEL], [u32; MAX_LEVEL]) {
        let mut update = [HEADER; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEADER;
        let mut xup = self.upper_base(HEADER);
        let mut traversed = 0u32;
        for i in (1..self.level).rev() {
            loop {
                // SAFETY: `xup` is node x's upper base and x has level i: it is
                // the header, or was reached by a link of level i or above.
                let u = unsafe { Self::upper_at(xup, i) };
                if u.l.forward != NIL && self.leads_before(&u.l, score, ele) {
                    traversed += u.l.span;
                    x = u.l.forward;
                    xup = u.fwd_up;
                    if i == 1 {
                        prefetch_read(&self.nodes[x as usize]);
                    }
                } else {
                    break;
                }
            }
            update[i] = x;
            rank[i] = traversed;
        }
        loop {
            let l = self.nodes[x as usize].first;
            if l.forward != NIL && self.leads_before(&l, score, ele) {
                traversed += l.span;
                x = l.forward;
            } else {
                break;
            }
        }
        update[0] = x;
        rank[0] = traversed;
        (update, rank)
    }

    /// True when link `l` (not at the end) leads to a node sorting before
    /// (`score`, `ele`); the member is read only on equal scores.
    #[inline]
    fn leads_before(&self, l: &Level, score: f64, ele: &[u8]) -> bool {
        l.fscore < score || (l.fscore == score && *self.nodes[l.forward as usize].ele < *ele)
    }

    /// The member of node `n`.
    #[inline]
    pub fn ele(&self, n: u32) -> &[u8] {
        &self.nodes[n as usize].ele
    }

    /// The score of node `n`.
    #[inline]
    pub fn score(&self, n: u32) -> f64 {
        self.nodes[n as usize].score
    }

    /// The first (lowest) element, or NIL.
    #[inline]
    pub fn first(&self) -> u32 {
        self.fwd(HEADER, 0)
    }

    /// The last (highest) element, or NIL.
    #[inline]
    pub fn last(&self) -> u32 {
        self.tail
    }

    /// The element after `n`, or NIL.
    #[inline]
    pub fn next(&self, n: u32) -> u32 {
        self.fwd(n, 0)
    }

    /// The element before `n`, or NIL.
    #[inline]
    pub fn prev(&self, n: u32) -> u32 {
        match self.nodes[n as usize].back0 {
            HEADER => NIL,
            b => b,
        }
    }

    /// Elements in order with their scores.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        let mut n = self.first();
        std::iter::from_fn(move || {
            if n == NIL {
                return None;
            }
            let node = &self.nodes[n as usize];
            n = node.first.forward;
            Some((&*node.ele, node.score))
        })
    }

    // -----------------------------------------------------------------------
    // Member access

    /// The node holding `ele`, or NIL.
    pub fn find(&self, ele: &[u8]) -> u32 {
        if self.used[0] + self.used[1] == 0 {
            return NIL;
        }
        self.find_hashed(ele, hash(ele))
    }

    fn find_hashed(&self, ele: &[u8], h: u64) -> u32 {
        for table in self.tables() {
            let mut n = table[bucket(h, table)];
            while n != NONE {
                let node = &self.nodes[n as usize];
                if *node.ele == *ele {
                    return n;
                }
                n = node.hnext;
            }
        }
        NIL
    }

    /// The score of `ele`.
    pub fn get(&self, ele: &[u8]) -> Option<f64> {
        match self.find(ele) {
            NIL => None,
            n => Some(self.score(n)),
        }
    }

    /// Inserts a member known to be absent; returns its node id.
    pub fn insert(&mut self, score: f64, ele: &[u8]) -> u32 {
        debug_assert_eq!(self.find(ele), NIL, "insert of a present member");
        let height = self.random_level();
        let id = self.nodes.len() as u32;
        self.owned_bytes += ele.len() + (height - 1) * size_of::<Upper>();
        if self.nodes.len() == self.nodes.capacity() {
            // Grow by half rather than double: the arena is most of the memory.
            self.nodes.reserve_exact((self.nodes.len() / 2).max(4));
        }
        self.nodes.push(Node::new(ele.into(), score, height));
        self.link(id);
        self.index_insert(id);
        id
    }

    /// Removes `ele`; returns its score when it was there.
    pub fn remove(&mut self, ele: &[u8]) -> Option<f64> {
        if self.is_empty() {
            return None;
        }
        let h = hash(ele);
        let x = self.find_hashed(ele, h);
        if x == NIL {
            return None;
        }
        let score = self.score(x);
        let update = self.predecessors(score, ele);
        self.remove_node(x, &update, Some(h));
        Some(score)
    }

    /// Changes the score of `ele` to `new`, as `set_score` does; `None` when
    /// `ele` is absent. (ZADD finds the member first and calls `set_score`.)
    #[cfg(test)]
    pub fn update_score(&mut self, ele: &[u8], new: f64) -> Option<f64> {
        match self.find(ele) {
            NIL => None,
            x => Some(self.set_score(x, new)),
        }
    }

    /// Changes the score of node `x` (from `find`) to `new` (Redis
    /// `zslUpdateScore`): in place when the order is unchanged (no search at
    /// all), else unlinked and linked again in the same slot. Returns the old
    /// score.
    pub fn set_score(&mut self, x: u32, new: f64) -> f64 {
        let cur = self.score(x);
        let (back, next) = (self.prev(x), self.next(x));
        if (back == NIL || self.score(back) < new) && (next == NIL || self.score(next) > new) {
            self.nodes[x as usize].score = new;
            for i in 0..self.nodes[x as usize].height() {
                let b = self.nodes[x as usize].back(i);
                self.lv_mut(b, i).fscore = new;
            }
            return cur;
        }
        let update = self.predecessors(cur, &self.nodes[x as usize].ele);
        self.unlink(x, &update);
        self.nodes[x as usize].score = new;
        self.link(x);
        cur
    }

    // -----------------------------------------------------------------------
    // Linking

    /// Redis `zslRandomLevel`: 1, then one more with probability 1/4, up to 32.
    fn random_level(&mut self) -> usize {
        let mut level = 1;
        while level < MAX_LEVEL && (self.next_random() & 0xFFFF) < 0xFFFF / 4 {
            level += 1;
        }
        level
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32
    }

    /// For each level, the last node sorting before (`score`, `ele`).
    fn predecessors(&self, score: f64, ele: &[u8]) -> [u32; MAX_LEVEL] {
        self.search(score, ele).0
    }

    /// Links node `id` (in the arena, not in the list) at the place its score and
    /// member give it (Redis `zslInsert` after the allocation).
    fn link(&mut self, id: u32) {
        // Elements in the list, `id` not counted.
        let len = (self.len() - 1) as u32;
        let node = &self.nodes[id as usize];
        let (score, height) = (node.score, node.height());
        let (mut update, mut rank) = self.search(score, &node.ele);
        if height > self.level {
            for i in self.level..height {
                rank[i] = 0;
                update[i] = HEADER;
                self.lv_mut(HEADER, i).span = len;
            }
            self.level = height;
        }
        for i in 0..height {
            let prev = *self.lv(update[i], i);
            let jumped = rank[0] - rank[i];
            let after = Level {
                fscore: prev.fscore,
                forward: prev.forward,
                span: prev.span - jumped,
            };
            self.set_link(id, i, after);
            self.set_back(id, i, update[i]);
            let to_new = Level {
                fscore: score,
                forward: id,
                span: jumped + 1,
            };
            self.set_link(update[i], i, to_new);
            if prev.forward != NIL {
                self.set_back(prev.forward, i, id);
            }
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(height) {
            self.lv_mut(u, i).span += 1;
        }
        if self.fwd(id, 0) == NIL {
            self.tail = id;
        }
    }

    /// Takes node `x` out of the list given its predecessors (Redis
    /// `zslDeleteNode`); its arena slot and index entry stay.
    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            if self.fwd(u, i) == x {
                let xl = *self.lv(x, i);
                let ul = *self.lv(u, i);
                let bypass = Level {
                    fscore: xl.fscore,
                    forward: xl.forward,
                    span: ul.span + xl.span - 1,
                };
                self.set_link(u, i, bypass);
                if xl.forward != NIL {
                    self.set_back(xl.forward, i, u);
                }
            } else {
                self.lv_mut(u, i).span -= 1;
            }
        }
        if self.fwd(x, 0) == NIL {
            self.tail = self.prev(x);
        }
        while self.level > 1 && self.fwd(HEADER, self.level - 1) == NIL {
            self.level -= 1;
        }
    }

    /// Removes node `x` (given its predecessors) from the list and the index, then
    /// frees its arena slot by moving the last node there. Returns what moved.
    fn remove_node(&mut self, x: u32, update: &[u32; MAX_LEVEL], h: Option<u64>) -> Option<Moved> {
        let h = h.unwrap_or_else(|| hash(&self.nodes[x as usize].ele));
        self.index_remove(x, h);
        self.unlink(x, update);
        let last = (self.nodes.len() - 1) as u32;
        let moved = (x != last).then(|| {
            self.repoint(last, x);
            Moved { from: last, to: x }
        });
        let node = self.nodes.swap_remove(x as usize);
        self.owned_bytes -= node.ele.len() + node.upper.len() * size_of::<Upper>();
        let (len, cap) = (self.nodes.len(), self.nodes.capacity());
        if cap > 64 && len < cap / 2 {
            // Give memory back as the set shrinks; the gap to the next shrink or
            // growth keeps this amortized O(1).
            self.nodes.shrink_to(len + len / 4);
        }
        self.index_shrink_if_needed();
        moved
    }

    /// Makes every link to node `from` point to `to` (`from` is about to be moved
    /// there by `swap_remove`): O(height) through the back links. The links'
    /// `fwd_up` stay: the node's upper levels move with it, not their box.
    fn repoint(&mut self, from: u32, to: u32) {
        for i in 0..self.nodes[from as usize].height() {
            let (l, back) = (*self.lv(from, i), self.nodes[from as usize].back(i));
            self.lv_mut(back, i).forward = to;
            if l.forward != NIL {
                self.set_back(l.forward, i, to);
            }
        }
        if self.tail == from {
            self.tail = to;
        }
        let h = hash(&self.nodes[from as usize].ele);
        if let Some((t, slot)) = self.index_slot(from, h) {
            self.set_slot(t, slot, to);
        }
    }

    // -----------------------------------------------------------------------
    // Ranks and ranges

    /// 1-based rank of (`score`, `ele`), 0 when absent (Redis `zslGetRank`).
    pub fn rank(&self, score: f64, ele: &[u8]) -> usize {
        let mut rank = 0usize;
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            loop {
                let l = *self.lv(x, i);
                if l.forward == NIL {
                    break;
                }
                if l.fscore < score
                    || (l.fscore == score && *self.nodes[l.forward as usize].ele <= *ele)
                {
                    rank += l.span as usize;
                    x = l.forward;
                } else {
                    break;
                }
            }
            if x != HEADER && self.score(x) == score && self.ele(x) == ele {
                return rank;
            }
        }
        0
    }

    /// 1-based rank of node `n`.
    pub fn rank_of(&self, n: u32) -> usize {
        self.rank(self.score(n), self.ele(n))
    }

    /// The node at 1-based `rank`, or NIL (Redis `zslGetElementByRank`).
    pub fn by_rank(&self, rank: usize) -> u32 {
        let mut traversed = 0usize;
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            loop {
                let l = *self.lv(x, i);
                if l.forward != NIL && traversed + l.span as usize <= rank {
                    traversed += l.span as usize;
                    x = l.forward;
                } else {
                    break;
                }
            }
            if traversed == rank {
                return if x == HEADER { NIL } else { x };
            }
        }
        NIL
    }

    fn may_hold_score(&self, r: &ScoreRange) -> bool {
        if r.is_empty() || self.tail == NIL || !r.gte_min(self.score(self.tail)) {
            return false;
        }
        let first = self.first();
        first != NIL && r.lte_max(self.score(first))
    }

    /// Walks down from the top level, following each level's links while `go`
    /// says so; returns the node reached and its 1-based rank (0: the header).
    fn descend(&self, mut go: impl FnMut(&Level) -> bool) -> (u32, usize) {
        let mut x = HEADER;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let l = self.lv(x, i);
                if l.forward != NIL && go(l) {
                    rank += l.span as usize;
                    x = l.forward;
                } else {
                    break;
                }
            }
        }
        (x, rank)
    }

    /// The first node with a score in `r` and its 1-based rank, in one descent.
    pub fn first_in_range(&self, r: &ScoreRange) -> Option<(u32, usize)> {
        if !self.may_hold_score(r) {
            return None;
        }
        let (x, rank) = self.descend(|l| !r.gte_min(l.fscore));
        let x = self.fwd(x, 0);
        (x != NIL && r.lte_max(self.score(x))).then_some((x, rank + 1))
    }

    /// The last node with a score in `r` and its 1-based rank, in one descent.
    pub fn last_in_range(&self, r: &ScoreRange) -> Option<(u32, usize)> {
        if !self.may_hold_score(r) {
            return None;
        }
        let (x, rank) = self.descend(|l| r.lte_max(l.fscore));
        (x != HEADER && r.gte_min(self.score(x))).then_some((x, rank))
    }

    fn may_hold_lex(&self, r: &LexRange) -> bool {
        if r.is_empty() || self.tail == NIL || !r.gte_min(self.ele(self.tail)) {
            return false;
        }
        let first = self.first();
        first != NIL && r.lte_max(self.ele(first))
    }

    /// The first node whose member is in `r` and its 1-based rank.
    pub fn first_in_lex_range(&self, r: &LexRange) -> Option<(u32, usize)> {
        if !self.may_hold_lex(r) {
            return None;
        }
        let (x, rank) = self.descend(|l| !r.gte_min(self.ele(l.forward)));
        let x = self.fwd(x, 0);
        (x != NIL && r.lte_max(self.ele(x))).then_some((x, rank + 1))
    }

    /// The last node whose member is in `r` and its 1-based rank.
    pub fn last_in_lex_range(&self, r: &LexRange) -> Option<(u32, usize)> {
        if !self.may_hold_lex(r) {
            return None;
        }
        let (x, rank) = self.descend(|l| r.lte_max(self.ele(l.forward)));
        (x != HEADER && r.gte_min(self.ele(x))).then_some((x, rank))
    }

    /// Deletes the elements with 1-based ranks `start..=end`; returns how many
    /// went (Redis `zslDeleteRangeByRank`).
    pub fn delete_range_by_rank(&mut self, start: usize, end: usize) -> usize {
        let mut update = [HEADER; MAX_LEVEL];
        let mut traversed = 0usize;
        let mut x = HEADER;
        for i in (0..self.level).rev() {
            loop {
                let l = *self.lv(x, i);
                if l.forward != NIL && traversed + (l.span as usize) < start {
                    traversed += l.span as usize;
                    x = l.forward;
                } else {
                    break;
                }
            }
            update[i] = x;
        }
        traversed += 1;
        let mut x = self.fwd(x, 0);
        let mut count = 0;
        while x != NIL && traversed <= end {
            let mut next = self.fwd(x, 0);
            if let Some(m) = self.remove_node(x, &update, None) {
                next = m.remap(next);
                for u in update.iter_mut() {
                    *u = m.remap(*u);
                }
            }
            count += 1;
            traversed += 1;
            x = next;
        }
        count
    }

    // -----------------------------------------------------------------------
    // Member index

    /// The tables to search: table 0, and table 1 while rehashing.
    fn tables(&self) -> impl Iterator<Item = &Vec<u32>> {
        let n = if self.rehash_idx.is_some() { 2 } else { 1 };
        self.buckets[..n].iter().filter(|t| !t.is_empty())
    }

    fn index_insert(&mut self, id: u32) {
        self.rehash_step();
        self.index_expand_if_needed();
        let t = usize::from(self.rehash_idx.is_some());
        let h = hash(&self.nodes[id as usize].ele);
        let b = bucket(h, &self.buckets[t]);
        self.nodes[id as usize].hnext = self.buckets[t][b];
        self.buckets[t][b] = id;
        self.used[t] += 1;
    }

    /// The table holding node `target` (whose member hashes to `h`) and the link
    /// that points to it.
    fn index_slot(&self, target: u32, h: u64) -> Option<(usize, Slot)> {
        let n = if self.rehash_idx.is_some() { 2 } else { 1 };
        for (t, table) in self.buckets[..n].iter().enumerate() {
            if table.is_empty() {
                continue;
            }
            let b = bucket(h, table);
            if table[b] == target {
                return Some((t, Slot::Bucket(b)));
            }
            let mut n = table[b];
            while n != NONE {
                let next = self.nodes[n as usize].hnext;
                if next == target {
                    return Some((t, Slot::Next(n)));
                }
                n = next;
            }
        }
        None
    }

    fn set_slot(&mut self, t: usize, slot: Slot, v: u32) {
        match slot {
            Slot::Bucket(b) => self.buckets[t][b] = v,
            Slot::Next(n) => self.nodes[n as usize].hnext = v,
        }
    }

    fn index_remove(&mut self, id: u32, h: u64) {
        self.rehash_step();
        if let Some((t, slot)) = self.index_slot(id, h) {
            let next = self.nodes[id as usize].hnext;
            self.set_slot(t, slot, next);
            self.nodes[id as usize].hnext = NONE;
            self.used[t] -= 1;
        }
    }

    /// Moves one bucket of table 0 to table 1 (visiting at most 10 empty ones), as
    /// Redis's `_dictRehashStep`; finishes the rehash when table 0 is empty.
    fn rehash_step(&mut self) {
        let Some(mut idx) = self.rehash_idx else {
            return;
        };
        if resize_policy() == ResizePolicy::Forbid {
            return;
        }
        let size0 = self.buckets[0].len();
        let mut empty_visits = 10;
        while idx < size0 && self.buckets[0][idx] == NONE {
            idx += 1;
            empty_visits -= 1;
            if empty_visits == 0 {
                self.rehash_idx = Some(idx);
                return;
            }
        }
        if idx < size0 {
            let mut n = std::mem::replace(&mut self.buckets[0][idx], NONE);
            while n != NONE {
                let next = self.nodes[n as usize].hnext;
                let b = bucket(hash(&self.nodes[n as usize].ele), &self.buckets[1]);
                self.nodes[n as usize].hnext = self.buckets[1][b];
                self.buckets[1][b] = n;
                self.used[0] -= 1;
                self.used[1] += 1;
                n = next;
            }
            idx += 1;
        }
        if self.used[0] == 0 || idx >= size0 {
            self.buckets[0] = std::mem::take(&mut self.buckets[1]);
            self.used = [self.used[0] + self.used[1], 0];
            self.rehash_idx = None;
        } else {
            self.rehash_idx = Some(idx);
        }
    }

    /// Starts rehashing into a table of `n` buckets (rounded up to a power of two).
    fn index_resize(&mut self, n: usize) {
        let size = n.max(INDEX_MIN_SIZE).next_power_of_two();
        if self.rehash_idx.is_some() || size == self.buckets[0].len() {
            return;
        }
        if self.used[0] == 0 {
            self.buckets[0] = vec![NONE; size];
            return;
        }
        self.buckets[1] = vec![NONE; size];
        self.rehash_idx = Some(0);
    }

    /// Grows at load factor 1 (5 while a fork child runs), like `_dictExpandIfNeeded`.
    fn index_expand_if_needed(&mut self) {
        if self.rehash_idx.is_some() {
            return;
        }
        let size = self.buckets[0].len();
        if size == 0 {
            self.buckets[0] = vec![NONE; INDEX_MIN_SIZE];
            return;
        }
        let used = self.used[0];
        let policy = resize_policy();
        if (policy == ResizePolicy::Enable && used >= size)
            || (policy != ResizePolicy::Forbid && used / size > 5)
        {
            self.index_resize(used + 1);
        }
    }

    /// Shrinks below 10% fill, like `htNeedsResize` + `dictResize`.
    fn index_shrink_if_needed(&mut self) {
        if self.rehash_idx.is_some() || resize_policy() != ResizePolicy::Enable {
            return;
        }
        let (size, used) = (self.buckets[0].len(), self.used[0]);
        if size > INDEX_MIN_SIZE && used * 100 / size < 10 {
            self.index_resize(used);
        }
    }

    /// Visits the members of the buckets at `cursor` and returns the next cursor, 0
    /// when done: Redis's reverse-binary `dictScan`, so every member present for
    /// the whole scan is reported at least once, across resizes.
    pub fn scan(&self, cursor: u64, mut f: impl FnMut(&[u8], f64)) -> u64 {
        if self.used[0] + self.used[1] == 0 {
            return 0;
        }
        let mut emit = |table: &[u32], v: u64| {
            let mut n = table[(v as usize) & (table.len() - 1)];
            while n != NONE {
                let node = &self.nodes[n as usize];
                f(&node.ele, node.score);
                n = node.hnext;
            }
        };
        let next = |v: u64, mask: u64| (v | !mask).reverse_bits().wrapping_add(1).reverse_bits();
        let mut v = cursor;
        if self.rehash_idx.is_none() {
            let t0 = &self.buckets[0];
            emit(t0, v);
            v = next(v, (t0.len() - 1) as u64);
        } else {
            let (a, b) = (&self.buckets[0], &self.buckets[1]);
            let (small, big) = if a.len() <= b.len() { (a, b) } else { (b, a) };
            let (m0, m1) = ((small.len() - 1) as u64, (big.len() - 1) as u64);
            emit(small, v);
            loop {
                emit(big, v);
                v = next(v, m1);
                if v & (m0 ^ m1) == 0 {
                    break;
                }
            }
        }
        v
    }

    /// Checks every invariant (links, spans, back links, order, tail, index); for
    /// tests.
    #[cfg(test)]
    pub fn check(&self) {
        let len = self.len();
        let mut prev = NIL;
        let mut n = self.first();
        let mut seen = 0;
        while n != NIL {
            assert_eq!(self.prev(n), prev, "backward link of node {n}");
            if prev != NIL {
                let (ps, pe) = (self.score(prev), self.ele(prev));
                let (s, e) = (self.score(n), self.ele(n));
                assert!(ps < s || (ps == s && pe < e), "order at node {n}");
            }
            assert_eq!(self.find(self.ele(n)), n, "index entry of node {n}");
            prev = n;
            n = self.next(n);
            seen += 1;
        }
        assert_eq!(seen, len);
        assert_eq!(self.tail, prev);
        for i in 0..self.level {
            let mut x = HEADER;
            let mut rank = 0usize;
            loop {
                let l = *self.lv(x, i);
                if l.forward == NIL {
                    break;
                }
                assert_eq!(
                    self.nodes[l.forward as usize].back(i),
                    x,
                    "back link at level {i}"
                );
                assert_eq!(l.fscore, self.score(l.forward), "link score at level {i}");
                if i > 0 {
                    assert_eq!(
                        self.nodes[x as usize].upper[i - 1].fwd_up,
                        self.upper_base(l.forward),
                        "upper-level address at level {i}"
                    );
                }
                rank += l.span as usize;
                x = l.forward;
                assert_eq!(self.rank_of(x), rank, "span at level {i}");
            }
        }
        assert!(self.level == 1 || self.fwd(HEADER, self.level - 1) != NIL);
        let chained: usize = self.buckets[..1 + usize::from(self.rehash_idx.is_some())]
            .iter()
            .flat_map(|t| t.iter())
            .map(|&head| {
                let (mut k, mut x) = (0, head);
                while x != NONE {
                    k += 1;
                    x = self.nodes[x as usize].hnext;
                }
                k
            })
            .sum();
        assert_eq!(chained, len, "index size");
        assert_eq!(self.used[0] + self.used[1], len);
    }
}

/// A per-process random seed for level draws.
fn seed() -> u64 {
    RandomState::new().hash_one(0x5a5e_u64) | 1
}

/// A member lookup's steps (see `prefetch_lookups`): the index bucket, the
/// node it names, then that node's member bytes.
impl StagedLookup for SkipList {
    fn stage_bucket(&self, ele: &[u8]) -> u64 {
        let h = hash(ele);
        for table in self.tables() {
            prefetch_read(&table[bucket(h, table)]);
        }
        h
    }

    fn stage_entry(&self, h: u64) {
        for node in self.chain_heads(h) {
            prefetch_read(node);
        }
    }

    fn stage_data(&self, h: u64) {
        for node in self.chain_heads(h) {
            prefetch_read(node.ele.as_ptr());
        }
    }
}

impl SkipList {
    /// The first node of each index chain `h` falls in (two while rehashing).
    fn chain_heads(&self, h: u64) -> impl Iterator<Item = &Node> + '_ {
        self.tables()
            .map(move |table| table[bucket(h, table)])
            .filter(|&n| n != NONE)
            .filter_map(|n| self.nodes.get(n as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sl(items: &[(f64, &str)]) -> SkipList {
        let mut s = SkipList::new();
        for (score, e) in items {
            s.insert(*score, e.as_bytes());
        }
        s.check();
        s
    }

    fn members(s: &SkipList) -> Vec<String> {
        s.iter()
            .map(|(e, _)| String::from_utf8_lossy(e).into_owned())
            .collect()
    }

    #[test]
    fn orders_by_score_then_member() {
        let s = sl(&[(2.0, "b"), (1.0, "z"), (2.0, "a"), (-1.0, "m")]);
        assert_eq!(members(&s), ["m", "z", "a", "b"]);
        assert_eq!(s.score(s.last()), 2.0);
        assert_eq!(s.ele(s.prev(s.last())), b"a");
        assert_eq!(s.prev(s.first()), NIL);
    }

    #[test]
    fn index_finds_members_and_scores() {
        let s = sl(&[(1.0, "a"), (2.0, "b")]);
        assert_eq!(s.get(b"a"), Some(1.0));
        assert_eq!(s.get(b"b"), Some(2.0));
        assert_eq!(s.get(b"c"), None);
        assert_eq!(SkipList::new().get(b"a"), None);
    }

    #[test]
    fn rank_and_by_rank_agree() {
        let mut s = SkipList::new();
        for i in 0..1000 {
            s.insert((i % 97) as f64, format!("e{i}").as_bytes());
        }
        s.check();
        for r in 1..=1000 {
            let n = s.by_rank(r);
            assert_ne!(n, NIL);
            assert_eq!(s.rank(s.score(n), s.ele(n)), r);
        }
        assert_eq!(s.by_rank(0), NIL);
        assert_eq!(s.by_rank(1001), NIL);
        assert_eq!(s.rank(5.0, b"missing"), 0);
        for (min, max) in [(0.0, 0.0), (3.5, 40.0), (96.0, 200.0), (-5.0, 2.0)] {
            let r = ScoreRange {
                min,
                max,
                minex: false,
                maxex: false,
            };
            let (first, lo) = s.first_in_range(&r).unwrap();
            let (last, hi) = s.last_in_range(&r).unwrap();
            assert_eq!(s.rank_of(first), lo);
            assert_eq!(s.rank_of(last), hi);
            assert!(s.score(first) >= min.max(0.0) && s.score(last) <= max);
        }
    }

    #[test]
    fn remove_keeps_arena_dense_and_links_valid() {
        let mut s = SkipList::new();
        for i in 0..500 {
            s.insert(i as f64, format!("{i}").as_bytes());
        }
        for i in (0..500).step_by(3) {
            assert_eq!(s.remove(format!("{i}").as_bytes()), Some(i as f64));
            s.check();
        }
        assert_eq!(s.len(), 333);
        assert_eq!(s.remove(b"0"), None);
        assert_eq!(s.nodes.len(), 334);
    }

    #[test]
    fn update_score_in_place_or_moved() {
        let mut s = sl(&[(1.0, "a"), (2.0, "b"), (3.0, "c")]);
        assert_eq!(s.update_score(b"b", 2.5), Some(2.0));
        s.check();
        assert_eq!(members(&s), ["a", "b", "c"]);
        s.update_score(b"b", 10.0);
        s.check();
        assert_eq!(members(&s), ["a", "c", "b"]);
        s.update_score(b"a", 20.0);
        s.check();
        assert_eq!(members(&s), ["c", "b", "a"]);
        assert_eq!(s.get(b"a"), Some(20.0));
        assert_eq!(s.update_score(b"zz", 1.0), None);
    }

    #[test]
    fn score_ranges_find_first_and_last() {
        let s = sl(&[(1.0, "a"), (2.0, "b"), (3.0, "c"), (4.0, "d")]);
        let r = ScoreRange {
            min: 2.0,
            max: 4.0,
            minex: true,
            maxex: true,
        };
        let (first, rank) = s.first_in_range(&r).unwrap();
        assert_eq!((s.ele(first), rank), (&b"c"[..], 3));
        let (last, rank) = s.last_in_range(&r).unwrap();
        assert_eq!((s.ele(last), rank), (&b"c"[..], 3));
        let r = ScoreRange {
            min: 2.0,
            max: 2.0,
            minex: false,
            maxex: true,
        };
        assert!(r.is_empty());
        assert_eq!(s.first_in_range(&r), None);
        let r = ScoreRange {
            min: 4.5,
            max: f64::INFINITY,
            minex: false,
            maxex: false,
        };
        assert_eq!(s.first_in_range(&r), None);
        assert_eq!(s.last_in_range(&r), None);
    }

    #[test]
    fn lex_ranges_follow_sdscmplex() {
        let s = sl(&[(0.0, "alpha"), (0.0, "bar"), (0.0, "cool"), (0.0, "down")]);
        let r = LexRange {
            min: LexBound::Value(b"bar".to_vec()),
            max: LexBound::Max,
            minex: true,
            maxex: true,
        };
        let (first, rank) = s.first_in_lex_range(&r).unwrap();
        assert_eq!((s.ele(first), rank), (&b"cool"[..], 3));
        let (last, rank) = s.last_in_lex_range(&r).unwrap();
        assert_eq!((s.ele(last), rank), (&b"down"[..], 4));
        let empty = LexRange {
            min: LexBound::Min,
            max: LexBound::Min,
            minex: true,
            maxex: true,
        };
        assert!(empty.is_empty());
        let inverted = LexRange {
            min: LexBound::Max,
            max: LexBound::Min,
            minex: true,
            maxex: true,
        };
        assert!(inverted.is_empty());
        assert_eq!(s.first_in_lex_range(&inverted), None);
    }

    #[test]
    fn delete_range_by_rank_removes_members_from_the_index() {
        let mut s = SkipList::new();
        for i in 0..100 {
            s.insert(i as f64, format!("{i:03}").as_bytes());
        }
        assert_eq!(s.delete_range_by_rank(10, 59), 50);
        s.check();
        assert_eq!(s.len(), 50);
        assert_eq!(s.get(b"009"), None);
        assert_eq!(s.get(b"058"), None);
        assert_eq!(s.get(b"059"), Some(59.0));
        assert_eq!(s.ele(s.by_rank(9)), b"008");
        assert_eq!(s.ele(s.by_rank(10)), b"059");
        assert_eq!(s.delete_range_by_rank(1, 1000), 50);
        assert!(s.is_empty());
        assert_eq!(s.first(), NIL);
        assert_eq!(s.last(), NIL);
        s.check();
    }

    #[test]
    fn index_grows_and_shrinks_incrementally() {
        let mut s = SkipList::new();
        for i in 0..5000 {
            s.insert(i as f64, format!("m{i}").as_bytes());
            if i % 500 == 0 {
                s.check();
            }
        }
        s.check();
        assert!(s.buckets[0].len() >= 4096);
        for i in 0..4950 {
            s.remove(format!("m{i}").as_bytes());
            if i % 500 == 0 {
                s.check();
            }
        }
        // Writes move the shrinking rehash along, a bucket (or ten empty ones) each.
        for i in 0..2000 {
            s.insert(-1.0, format!("n{i}").as_bytes());
            s.remove(format!("n{i}").as_bytes());
        }
        s.check();
        assert!(s.rehash_idx.is_none());
        assert!(s.buckets[0].len() <= 1024, "{}", s.buckets[0].len());
        assert_eq!(s.get(b"m4999"), Some(4999.0));
    }

    #[test]
    fn scan_reports_every_member_across_a_resize() {
        let mut s = SkipList::new();
        for i in 0..200 {
            s.insert(i as f64, format!("m{i}").as_bytes());
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut calls = 0;
        loop {
            cursor = s.scan(cursor, |m, _| {
                seen.insert(m.to_vec());
            });
            calls += 1;
            if calls == 5 {
                // Grow the table in the middle of the scan.
                for i in 200..2000 {
                    s.insert(i as f64, format!("m{i}").as_bytes());
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..200 {
            assert!(seen.contains(format!("m{i}").as_bytes()), "m{i} missed");
        }
    }

    #[test]
    fn heap_size_follows_contents() {
        let mut s = SkipList::new();
        let empty = s.heap_size();
        for i in 0..1000 {
            s.insert(i as f64, format!("xxxxxxxxxx{i}").as_bytes());
        }
        assert!(s.heap_size() > empty + 1000 * (size_of::<Node>() + 10 + 4));
        s.delete_range_by_rank(1, 1000);
        assert_eq!(s.owned_bytes, 0);
        assert!(s.nodes.capacity() <= 64);
    }

    #[test]
    fn clone_is_independent_and_equal() {
        let mut s = sl(&[(1.0, "a"), (2.0, "b"), (3.0, "c")]);
        let c = s.clone();
        s.remove(b"b");
        c.check();
        assert_eq!(members(&c), ["a", "b", "c"]);
        assert_eq!(c.get(b"b"), Some(2.0));
    }

    #[test]
    fn clone_survives_the_original_and_searches_its_own_levels() {
        let mut s = SkipList::new();
        for i in 0..2000 {
            s.insert((i % 97) as f64, format!("m{i}").as_bytes());
        }
        let mut c = s.clone();
        drop(s);
        c.check();
        for i in (0..2000).step_by(3) {
            assert_eq!(
                c.update_score(format!("m{i}").as_bytes(), -(i as f64)),
                Some((i % 97) as f64)
            );
            assert_eq!(
                c.remove(format!("m{}", i + 1).as_bytes()),
                Some(((i + 1) % 97) as f64)
            );
        }
        c.check();
        // m3 is the last of the 666 negative scores, -1998 to -3.
        assert_eq!(c.rank(-3.0, b"m3"), 666);
    }

    #[test]
    fn random_mix_of_operations_keeps_invariants() {
        let mut s = SkipList::new();
        let mut model: Vec<(f64, Vec<u8>)> = Vec::new();
        let mut r = 12345u64;
        let mut rnd = move || {
            r ^= r << 13;
            r ^= r >> 7;
            r ^= r << 17;
            r
        };
        for step in 0..5000 {
            let e = format!("m{}", rnd() % 300).into_bytes();
            let score = (rnd() % 50) as f64;
            match model.iter().position(|(_, m)| *m == e) {
                Some(i) if rnd() % 2 == 0 => {
                    let (sc, m) = model.remove(i);
                    assert_eq!(s.remove(&m), Some(sc));
                }
                Some(i) => {
                    assert_eq!(s.update_score(&e, score), Some(model[i].0));
                    model[i].0 = score;
                }
                None => {
                    s.insert(score, &e);
                    model.push((score, e));
                }
            }
            if step % 250 == 0 {
                s.check();
            }
        }
        s.check();
        model.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let got: Vec<(f64, Vec<u8>)> = s.iter().map(|(e, sc)| (sc, e.to_vec())).collect();
        assert_eq!(got, model);
    }
}
