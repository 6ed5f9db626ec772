//! Bitmaps: bit-level commands over string values (SETBIT, GETBIT). Bit 0 is the
//! most significant bit of the first byte, as in Redis.

use crate::command::{CmdError, CmdResult, Ctx};
use crate::db::keyspace::notify;
use crate::types::string::RStr;
use crate::types::Value;
use crate::util::numbers::parse_i64;

const OFFSET_ERR: &str = "bit offset is not an integer or out of range";

/// Parses a bit offset, limited to `proto-max-bulk-len` bytes of string.
fn bit_offset(ctx: &Ctx, raw: &[u8]) -> Result<u64, CmdError> {
    let off = parse_i64(raw).ok_or_else(|| CmdError::err(OFFSET_ERR))?;
    if off < 0 || (off >> 3) >= ctx.srv.config.proto_max_bulk_len {
        return Err(CmdError::err(OFFSET_ERR));
    }
    Ok(off as u64)
}

/// SETBIT key offset value
pub fn setbit(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv.get(1);
    let offset = bit_offset(ctx, ctx.argv.get(2))?;
    let on = match ctx.argv.get(3) {
        b"1" => true,
        b"0" => false,
        _ => return Err(CmdError::err("bit is not an integer or out of range")),
    };
    let db = ctx.db();
    let byte = (offset >> 3) as usize;
    let mask = 1u8 << (7 - (offset & 7));
    if ctx.ks.get_str_mut(db, key)?.is_none() {
        ctx.ks.add(db, key, Value::Str(RStr::raw(Vec::new())));
    }
    let Some(s) = ctx.ks.get_str_mut(db, key)? else {
        return Ok(());
    };
    let buf = s.make_raw();
    if buf.len() <= byte {
        buf.resize(byte + 1, 0);
    }
    let old = buf[byte] & mask != 0;
    if on {
        buf[byte] |= mask;
    } else {
        buf[byte] &= !mask;
    }
    ctx.ks.modified(db, key);
    ctx.ks.notify(notify::STRING, "setbit", key, db);
    ctx.ks.dirty(1);
    ctx.reply.int(old as i64);
    Ok(())
}

/// GETBIT key offset
pub fn getbit(ctx: &mut Ctx) -> CmdResult {
    let key = ctx.argv.get(1);
    let offset = bit_offset(ctx, ctx.argv.get(2))?;
    let db = ctx.db();
    let bit = match ctx.ks.get_str(db, key)? {
        None => 0,
        Some(s) => {
            let bytes = s.bytes();
            let byte = (offset >> 3) as usize;
            bytes.get(byte).map_or(0, |b| (b >> (7 - (offset & 7))) & 1)
        }
    };
    ctx.reply.int(bit as i64);
    Ok(())
}
