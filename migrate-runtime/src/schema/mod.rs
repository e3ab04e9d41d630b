//! What a schema looks like: as a chain's operations build it ([`model`]) and as
//! a live database reports it ([`live`]).

#[cfg(feature = "introspect")]
pub mod live;
pub mod model;
#[cfg(feature = "autogen")]
pub(crate) mod shape;
