//! The wire protocol: parsing requests (RESP multibulk and inline) and writing replies
//! (RESP2 and RESP3).

pub mod reply;
pub mod request;
pub mod resp;
