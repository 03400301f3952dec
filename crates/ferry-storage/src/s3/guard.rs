//! Where an S3 client may connect. A settings file can name a host whose DNS answer is a cloud
//! instance-metadata address (169.254.169.254 and friends): requests there would read the
//! machine's own credentials. Endpoint text is checked when settings are read; this checks
//! what each name resolves to, every time a connection is made.

use std::net::IpAddr;

use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// Marks the resolver's refusal in an error chain, so that it is reported as a refusal (not
/// retried as a network fault).
pub(crate) const REFUSED: &str = "Ferry will not connect there";

/// Why Ferry never connects to `ip`, if it does not: cloud metadata services and link-local
/// addresses, also when written as an IPv4-mapped or -compatible IPv6 address.
pub fn forbidden_address(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) if v4.is_link_local() => {
            Some("a link-local address (169.254.0.0/16: cloud instance metadata)")
        }
        // Alibaba Cloud's instance metadata service (outside link-local).
        IpAddr::V4(v4) if v4.octets() == [100, 100, 100, 200] => {
            Some("the Alibaba Cloud instance metadata service (100.100.100.200)")
        }
        IpAddr::V4(_) => None,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4() {
                return forbidden_address(IpAddr::V4(v4));
            }
            let s = v6.segments();
            if (s[0] & 0xffc0) == 0xfe80 {
                Some("a link-local IPv6 address (fe80::/10)")
            } else if s[..3] == [0xfd00, 0x0ec2, 0] {
                Some("the AWS instance metadata service (fd00:ec2::254)")
            } else if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                // NAT64: the IPv4 address in the last 32 bits.
                let v4 = std::net::Ipv4Addr::new(
                    (s[6] >> 8) as u8,
                    s[6] as u8,
                    (s[7] >> 8) as u8,
                    s[7] as u8,
                );
                forbidden_address(IpAddr::V4(v4))
            } else {
                None
            }
        }
    }
}

/// The system resolver, refusing names that resolve to a [`forbidden_address`].
#[derive(Debug, Clone, Copy)]
struct GuardedResolver;

impl ResolveDns for GuardedResolver {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        DnsFuture::new(async move {
            let addresses: Vec<IpAddr> = tokio::net::lookup_host((name, 0))
                .await
                .map_err(ResolveDnsError::new)?
                .map(|a| a.ip())
                .collect();
            check(name, &addresses)?;
            Ok(addresses)
        })
    }
}

fn check(name: &str, addresses: &[IpAddr]) -> Result<(), ResolveDnsError> {
    match addresses
        .iter()
        .find_map(|ip| forbidden_address(*ip).map(|why| (ip, why)))
    {
        Some((ip, why)) => Err(ResolveDnsError::new(format!(
            "{name} resolves to {ip}, {why}, not a storage service; {REFUSED}"
        ))),
        None => Ok(()),
    }
}

/// The SDK's default HTTPS client (rustls with aws-lc, proxies from the environment), with
/// [`GuardedResolver`] in place of the system resolver. Only for S3 requests: the AWS chain's
/// own credential providers keep theirs (on EC2 they must reach the metadata service).
pub(crate) fn http_client() -> SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    use aws_smithy_http_client::{Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build_with_resolver(GuardedResolver)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_addresses_are_refused_in_every_spelling() {
        for refused in [
            "169.254.169.254",
            "169.254.170.2",
            "::ffff:169.254.169.254",
            "::ffff:a9fe:a9fe",
            "::169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "fd00:ec2::254",
            "fe80::1",
            "100.100.100.200",
            "::ffff:100.100.100.200",
        ] {
            let ip: IpAddr = refused.parse().unwrap();
            assert!(forbidden_address(ip).is_some(), "{refused}");
            let err = check("metadata.example", &["127.0.0.1".parse().unwrap(), ip]).unwrap_err();
            let text = std::error::Error::source(&err).unwrap().to_string();
            assert!(
                text.contains(REFUSED) && text.contains(&ip.to_string()),
                "{text}"
            );
        }
        for allowed in ["127.0.0.1", "::1", "10.0.0.5", "169.255.0.1", "2001:db8::1"] {
            assert_eq!(
                forbidden_address(allowed.parse().unwrap()),
                None,
                "{allowed}"
            );
        }
    }
}
