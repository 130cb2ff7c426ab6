//! VPN instances (E-VPN EVIs, IP VPN VRFs), the VPN manager and identifier allocators.
//!
//! ```text
//! AttachRequest ─► VpnManager ─► Instance (EVI | VRF) ─► routes ─► RouteTable
//!                      ▲                                              │
//!                      └──── RouteEvent (imported paths) ◄────────────┘
//!                      │
//!                      └─► desired dataplane state per changed instance
//! ```

pub mod allocators;
mod attract;
mod changes;
mod error;
pub mod evi;
mod flowspec;
pub mod instance;
mod manager;
pub mod readvertise;
pub mod redirect;
pub mod request;
pub mod vrf;

pub use error::VpnError;
pub use manager::{VpnConfig, VpnManager, VpnOutputs};
