//! The AOF manifest (`appendonly.aof.manifest` in `appenddirname`): which files make
//! up the append only file, as Redis 7.0 writes and reads it.
//!
//! One line per file, `file <name> seq <n> type <b|h|i>`: the BASE file first (a
//! snapshot from the last rewrite, RDB or commands), then HISTORY files (replaced by a
//! rewrite, waiting to be deleted), then the INCR files in sequence order (the
//! commands since that rewrite). Names needing quotes are written with
//! `sdscatrepr` and read back with `sdssplitargs`; the reader applies Redis's rules
//! and error texts line for line.

use std::io::{self, BufRead};

use crate::util::numbers::c_atoi;

use crate::util::repr::write_repr;
use crate::util::splitargs::split_args;

/// BASE file suffix before the format suffix.
pub const BASE_FILE_SUFFIX: &str = ".base";
/// INCR file suffix before the format suffix.
pub const INCR_FILE_SUFFIX: &str = ".incr";
/// Format suffix of an RDB base.
pub const RDB_FORMAT_SUFFIX: &str = ".rdb";
/// Format suffix of a command (RESP) file.
pub const AOF_FORMAT_SUFFIX: &str = ".aof";
/// The manifest's suffix after `appendfilename`.
pub const MANIFEST_NAME_SUFFIX: &str = ".manifest";
/// Prefix of temporary files.
pub const TEMP_FILE_NAME_PREFIX: &str = "temp-";
/// Longest manifest line Redis reads (MANIFEST_MAX_LINE).
const MANIFEST_MAX_LINE: usize = 1024;

/// What a listed file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Base,
    History,
    Incr,
}

impl FileType {
    fn letter(self) -> char {
        match self {
            FileType::Base => 'b',
            FileType::History => 'h',
            FileType::Incr => 'i',
        }
    }
}

/// One line of the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AofInfo {
    pub file_name: Vec<u8>,
    pub file_seq: i64,
    pub file_type: FileType,
}

/// The files of the append only file and the sequence numbers handed out so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<AofInfo>,
    pub incr: Vec<AofInfo>,
    pub history: Vec<AofInfo>,
    pub curr_base_file_seq: i64,
    pub curr_incr_file_seq: i64,
    /// Changed since it was last written to disk.
    pub dirty: bool,
}

/// Why a manifest was refused: Redis's text, and the offending line (trimmed)
/// with its number when there was one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub reason: &'static str,
    pub line: Option<(usize, Vec<u8>)>,
}

/// True when `name` needs quoting in the manifest (sdsneedsrepr).
fn needs_repr(name: &[u8]) -> bool {
    name.iter().any(|&c| {
        matches!(c, b'\\' | b'"' | b'\n' | b'\r' | b'\t' | 7 | 8)
            || !(c.is_ascii_graphic() || c == b' ')
            || crate::util::splitargs::is_c_space(c)
    })
}

/// True when `name` is a plain file name, not a path (pathIsBaseName).
pub fn is_base_name(name: &[u8]) -> bool {
    !name.contains(&b'/') && !name.contains(&b'\\')
}

impl Manifest {
    /// The manifest as written to disk: base, history, then incr files.
    pub fn format(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let lines = self
            .base
            .iter()
            .chain(self.history.iter())
            .chain(self.incr.iter());
        for ai in lines {
            out.extend_from_slice(b"file ");
            if needs_repr(&ai.file_name) {
                write_repr(&mut out, &ai.file_name);
            } else {
                out.extend_from_slice(&ai.file_name);
            }
            out.extend_from_slice(
                format!(" seq {} type {}\n", ai.file_seq, ai.file_type.letter()).as_bytes(),
            );
        }
        out
    }

    /// Reads a manifest with Redis's checks (aofLoadManifestFromFile).
    pub fn parse<R: BufRead>(r: &mut R) -> io::Result<Result<Manifest, ManifestError>> {
        let mut am = Manifest::default();
        let mut maxseq = 0i64;
        let mut linenum = 0usize;
        let fail = |reason, line: Option<(usize, Vec<u8>)>| Ok(Err(ManifestError { reason, line }));
        loop {
            let Some(buf) = read_line_limited(r, MANIFEST_MAX_LINE)? else {
                if linenum == 0 {
                    return fail("Found an empty AOF manifest", None);
                }
                break;
            };
            linenum += 1;
            if buf.first() == Some(&b'#') {
                continue;
            }
            if !buf.contains(&b'\n') {
                return fail("The AOF manifest file contains too long line", None);
            }
            let line = trim(&buf).to_vec();
            let here = Some((linenum, line.clone()));
            if line.is_empty() {
                return fail("Invalid AOF manifest file format", here);
            }
            let argv = match split_args(&line) {
                Some(a) if a.len() >= 6 && a.len() % 2 == 0 => a,
                _ => return fail("Invalid AOF manifest file format", here),
            };
            let (mut name, mut seq, mut kind) = (None, 0i64, 0u8);
            for pair in argv.chunks(2) {
                let (key, value) = (&pair[0], &pair[1]);
                if key.eq_ignore_ascii_case(b"file") {
                    if !is_base_name(value) {
                        return fail("File can't be a path, just a filename", here);
                    }
                    name = Some(value.clone());
                } else if key.eq_ignore_ascii_case(b"seq") {
                    seq = c_atoi(crate::util::splitargs::cstr(value));
                } else if key.eq_ignore_ascii_case(b"type") {
                    kind = value.first().copied().unwrap_or(0);
                }
            }
            let Some(file_name) = name.filter(|_| seq != 0 && kind != 0) else {
                return fail("Invalid AOF manifest file format", here);
            };
            let file_type = match kind {
                b'b' => FileType::Base,
                b'h' => FileType::History,
                b'i' => FileType::Incr,
                _ => return fail("Unknown AOF file type", here),
            };
            let ai = AofInfo {
                file_name,
                file_seq: seq,
                file_type,
            };
            match file_type {
                FileType::Base => {
                    if am.base.is_some() {
                        return fail("Found duplicate base file information", here);
                    }
                    am.curr_base_file_seq = seq;
                    am.base = Some(ai);
                }
                FileType::History => am.history.push(ai),
                FileType::Incr => {
                    if seq <= maxseq {
                        return fail("Found a non-monotonic sequence number", here);
                    }
                    am.curr_incr_file_seq = seq;
                    maxseq = seq;
                    am.incr.push(ai);
                }
            }
        }
        Ok(Ok(am))
    }

    /// A new BASE file name; the current base, if any, becomes history
    /// (getNewBaseFileNameAndMarkPreAsHistory).
    pub fn new_base_file(&mut self, aof_filename: &str, rdb_format: bool) -> Vec<u8> {
        if let Some(mut old) = self.base.take() {
            old.file_type = FileType::History;
            self.history.insert(0, old);
        }
        self.curr_base_file_seq += 1;
        let suffix = if rdb_format {
            RDB_FORMAT_SUFFIX
        } else {
            AOF_FORMAT_SUFFIX
        };
        let name = format!(
            "{aof_filename}.{}{BASE_FILE_SUFFIX}{suffix}",
            self.curr_base_file_seq
        )
        .into_bytes();
        self.base = Some(AofInfo {
            file_name: name.clone(),
            file_seq: self.curr_base_file_seq,
            file_type: FileType::Base,
        });
        self.dirty = true;
        name
    }

    /// Adds a new INCR file at the end and returns its name (getNewIncrAofName).
    pub fn new_incr_file(&mut self, aof_filename: &str) -> Vec<u8> {
        self.curr_incr_file_seq += 1;
        let name = format!(
            "{aof_filename}.{}{INCR_FILE_SUFFIX}{AOF_FORMAT_SUFFIX}",
            self.curr_incr_file_seq
        )
        .into_bytes();
        self.incr.push(AofInfo {
            file_name: name.clone(),
            file_seq: self.curr_incr_file_seq,
            file_type: FileType::Incr,
        });
        self.dirty = true;
        name
    }

    /// The last INCR file, created if there is none (getLastIncrAofName).
    pub fn last_incr_file(&mut self, aof_filename: &str) -> Vec<u8> {
        match self.incr.last() {
            Some(ai) => ai.file_name.clone(),
            None => self.new_incr_file(aof_filename),
        }
    }

    /// After a successful rewrite the INCR files it covers become history; the
    /// last one is kept when it is the file being appended to
    /// (markRewrittenIncrAofAsHistory).
    pub fn mark_rewritten_incr_as_history(&mut self, keep_last: bool) {
        if self.incr.is_empty() {
            return;
        }
        let keep = usize::from(keep_last).min(self.incr.len());
        let split = self.incr.len() - keep;
        let rewritten: Vec<AofInfo> = self.incr.drain(..split).collect();
        // Redis walks the list from its tail and adds each at the history's head,
        // so the history keeps the incr files' order.
        for mut ai in rewritten.into_iter().rev() {
            ai.file_type = FileType::History;
            self.history.insert(0, ai);
        }
        self.dirty = true;
    }

    /// Number of BASE and INCR files.
    pub fn live_files(&self) -> usize {
        usize::from(self.base.is_some()) + self.incr.len()
    }
}

/// `appendonly.aof.manifest` for `appendfilename`.
pub fn manifest_file_name(aof_filename: &str) -> String {
    format!("{aof_filename}{MANIFEST_NAME_SUFFIX}")
}

/// `temp-appendonly.aof.manifest`.
pub fn temp_manifest_file_name(aof_filename: &str) -> String {
    format!("{TEMP_FILE_NAME_PREFIX}{aof_filename}{MANIFEST_NAME_SUFFIX}")
}

/// `temp-appendonly.aof.incr`: where writes accumulate while the first rewrite of
/// a freshly enabled AOF runs.
pub fn temp_incr_file_name(aof_filename: &str) -> String {
    format!("{TEMP_FILE_NAME_PREFIX}{aof_filename}{INCR_FILE_SUFFIX}")
}

/// C `fgets(buf, max + 1, fp)`: up to `max` bytes, stopping after a newline;
/// `None` at end of file with nothing read.
pub fn read_line_limited<R: BufRead>(r: &mut R, max: usize) -> io::Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    while line.len() < max {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        let room = max - line.len();
        let window = &chunk[..chunk.len().min(room)];
        let (take, done) = match window.iter().position(|&c| c == b'\n') {
            Some(i) => (i + 1, true),
            None => (window.len(), false),
        };
        line.extend_from_slice(&window[..take]);
        r.consume(take);
        if done {
            break;
        }
    }
    Ok(if line.is_empty() { None } else { Some(line) })
}

/// `sdstrim(s, " \t\r\n")`.
fn trim(s: &[u8]) -> &[u8] {
    let is_trim = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let start = s.iter().position(|c| !is_trim(c)).unwrap_or(s.len());
    let end = s.iter().rposition(|c| !is_trim(c)).map_or(start, |e| e + 1);
    &s[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        Manifest::parse(&mut &text[..]).unwrap()
    }

    fn reason(text: &[u8]) -> &'static str {
        parse(text).unwrap_err().reason
    }

    #[test]
    fn format_then_parse_gives_the_same_manifest() {
        let mut am = Manifest::default();
        am.new_base_file("appendonly.aof", true);
        am.new_incr_file("appendonly.aof");
        am.new_incr_file("appendonly.aof");
        am.new_base_file("appendonly.aof", true);
        am.mark_rewritten_incr_as_history(true);
        let text = am.format();
        assert_eq!(
            String::from_utf8(text.clone()).unwrap(),
            "file appendonly.aof.2.base.rdb seq 2 type b\n\
             file appendonly.aof.1.incr.aof seq 1 type h\n\
             file appendonly.aof.1.base.rdb seq 1 type h\n\
             file appendonly.aof.2.incr.aof seq 2 type i\n"
        );
        let back = parse(&text).unwrap();
        assert_eq!(back.base, am.base);
        assert_eq!(back.incr, am.incr);
        assert_eq!(back.history, am.history);
        assert_eq!(back.curr_base_file_seq, 2);
        assert_eq!(back.curr_incr_file_seq, 2);
    }

    #[test]
    fn names_with_spaces_and_newlines_are_quoted_and_read_back() {
        let name = " file seq \n\n.aof ";
        let mut am = Manifest::default();
        am.new_base_file(name, true);
        am.new_incr_file(name);
        let text = am.format();
        assert_eq!(
            String::from_utf8(text.clone()).unwrap(),
            "file \" file seq \\n\\n.aof .1.base.rdb\" seq 1 type b\n\
             file \" file seq \\n\\n.aof .1.incr.aof\" seq 1 type i\n"
        );
        assert_eq!(parse(&text).unwrap().base, am.base);
    }

    #[test]
    fn all_incr_files_become_history_when_none_is_open() {
        let mut am = Manifest::default();
        am.new_base_file("a", false);
        am.new_incr_file("a");
        am.new_incr_file("a");
        am.new_base_file("a", false);
        am.mark_rewritten_incr_as_history(false);
        assert!(am.incr.is_empty());
        let hist: Vec<_> = am.history.iter().map(|h| h.file_name.clone()).collect();
        assert_eq!(
            hist,
            vec![
                b"a.1.incr.aof".to_vec(),
                b"a.2.incr.aof".to_vec(),
                b"a.1.base.aof".to_vec()
            ]
        );
    }

    #[test]
    fn extra_key_value_pairs_and_comments_are_accepted() {
        let am = parse(b"# comment\nfile a.1.base.aof seq 1 type b newkey newvalue\nfile a.3.incr.aof seq 3 type i\n").unwrap();
        assert_eq!(am.base.unwrap().file_name, b"a.1.base.aof");
        assert_eq!(am.curr_incr_file_seq, 3);
    }

    #[test]
    fn redis_rejection_rules() {
        assert_eq!(reason(b""), "Found an empty AOF manifest");
        assert_eq!(
            reason(b"file a seq 1 type i\n\nfile b seq 3 type i\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            reason(b"file a seq 2 type i\nfile b seq 1 type i\n"),
            "Found a non-monotonic sequence number"
        );
        assert_eq!(
            reason(b"file a seq 1 type b\nfile b seq 2 type b\n"),
            "Found duplicate base file information"
        );
        assert_eq!(reason(b"file a seq 1 type x\n"), "Unknown AOF file type");
        assert_eq!(
            reason(b"filx a seq 1 type b\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            reason(b"file a type i\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            reason(b"file a seq 1 type i newkey\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            reason(b"file a seq 0 type i\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            reason(b"file \"a seq 1 type i\n"),
            "Invalid AOF manifest file format"
        );
        assert_eq!(
            reason(b"file dir/a seq 1 type i\n"),
            "File can't be a path, just a filename"
        );
        let long = format!("{}\n", "file a seq 1 type b ".repeat(60));
        assert_eq!(
            reason(long.as_bytes()),
            "The AOF manifest file contains too long line"
        );
        // The last line must end with a newline, as fgets sees it.
        assert_eq!(
            reason(b"file a seq 1 type b"),
            "The AOF manifest file contains too long line"
        );
    }

    #[test]
    fn rejection_reports_the_line_and_its_number() {
        let e = parse(b"file a seq 1 type b\n  file b seq 1 type q \r\n").unwrap_err();
        assert_eq!(e.line, Some((2, b"file b seq 1 type q".to_vec())));
    }

    #[test]
    fn fgets_emulation_splits_long_lines() {
        let mut r = &b"abcdef\ngh"[..];
        assert_eq!(read_line_limited(&mut r, 4).unwrap().unwrap(), b"abcd");
        assert_eq!(read_line_limited(&mut r, 4).unwrap().unwrap(), b"ef\n");
        assert_eq!(read_line_limited(&mut r, 4).unwrap().unwrap(), b"gh");
        assert_eq!(read_line_limited(&mut r, 4).unwrap(), None);
    }
}
