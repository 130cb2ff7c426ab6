//! Dataplane drivers: the driver interface, a recording dummy, Linux E-VPN/VXLAN and IP VPN by netlink.
