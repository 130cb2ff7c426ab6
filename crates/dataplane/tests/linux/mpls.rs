//! IP VPN with MPLS needs kernel MPLS routing: where the kernel lacks it, the start-up check
//! refuses the configuration with a message saying why and what to do.

use std::path::Path;

use bagpipe_dataplane::{
    check_linux_config, ConfigError, IpVpnEncapsulation, LinuxDriverConfig, MPLS_PLATFORM_LABELS,
};

#[test]
fn mpls_is_refused_where_the_kernel_has_no_mpls_routing() {
    let config = LinuxDriverConfig::new("192.0.2.1".parse().unwrap());
    let verdict = check_linux_config(&config, Some(IpVpnEncapsulation::Mpls));
    if Path::new(MPLS_PLATFORM_LABELS).exists() {
        println!("SKIPPED: this kernel has MPLS routing; MPLS programming is not implemented, so only the refusal is checked");
        assert_eq!(verdict, Err(ConfigError::MplsNotImplemented));
        return;
    }
    let err = verdict.unwrap_err();
    assert_eq!(err, ConfigError::NoKernelMpls);
    assert!(err.to_string().contains(MPLS_PLATFORM_LABELS), "{err}");
    println!("SKIPPED: MPLS forwarding over the kernel (no {MPLS_PLATFORM_LABELS}); the configuration is refused: {err}");
}
