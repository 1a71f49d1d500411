//! Who a request comes from, for per-client rate limits and logs. Behind a reverse proxy every
//! connection comes from the proxy, so when the peer is one of `trusted_proxies`, the client is
//! the nearest address in `X-Forwarded-For` that is not itself a trusted proxy (addresses further
//! left were written by whoever sent the request and prove nothing).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use super::state::AppState;

/// The client's address, as far as it can be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The client of a request from `peer` carrying `headers`.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let mut client = peer;
    for hop in forwarded.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(address) => {
                client = address;
                if !trusted_proxies.contains(&address) {
                    break;
                }
            }
            // An unreadable hop ends what can be trusted; the last good one stands.
            Err(_) => break,
        }
    }
    client
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |info| info.0.ip());
        Ok(ClientIp(client_ip(
            peer,
            &parts.headers,
            &state.settings.trusted_proxies,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", forwarded.parse().unwrap());
        headers
    }

    #[test]
    fn the_nearest_untrusted_hop_is_the_client() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let trusted = [proxy, "10.0.0.2".parse().unwrap()];
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        // Through one proxy.
        assert_eq!(client_ip(proxy, &headers("203.0.113.7"), &trusted), ip("203.0.113.7"));
        // A client that writes its own header cannot pick its address: the proxy appends.
        assert_eq!(
            client_ip(proxy, &headers("198.51.100.1, 203.0.113.7"), &trusted),
            ip("203.0.113.7")
        );
        // Through two trusted proxies.
        assert_eq!(
            client_ip(proxy, &headers("203.0.113.7, 10.0.0.2"), &trusted),
            ip("203.0.113.7")
        );
        // From a peer that is not a proxy, the header is ignored.
        assert_eq!(
            client_ip(ip("192.0.2.9"), &headers("203.0.113.7"), &trusted),
            ip("192.0.2.9")
        );
        // Without a header, or with garbage, the proxy itself.
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &trusted), proxy);
        assert_eq!(client_ip(proxy, &headers("not an address"), &trusted), proxy);
        // Nobody trusted: the peer, always.
        assert_eq!(client_ip(proxy, &headers("203.0.113.7"), &[]), proxy);
    }
}
