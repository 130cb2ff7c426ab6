//! VPN instances (E-VPN EVIs, IP VPN VRFs), the VPN manager and identifier allocators.

pub mod request;
