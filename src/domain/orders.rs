//! Orders: buying traffic, IPs, packages and top-ups. One normalized order for both
//! providers (911Proxy `order/*`, helodata `/orders`), with a status vocabulary that covers
//! both, and the request a caller sends, checked by each provider's own rules.

use time::OffsetDateTime;

use crate::domain::money::{Decimal, Money};
use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUserId;

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    /// Waiting for payment (911 status 0).
    Pending,
    /// Paid, being delivered (helodata ISP batches: `provisioning`).
    Provisioning,
    /// Paid and delivered (911 status 1 "Paid"; helodata `completed`).
    Completed,
    /// Closed before payment (911 status 2, also what `order/close` leads to).
    Canceled,
    /// Paid, then refunded (911 status 3).
    Refunded,
    /// Failed at the provider (no provider documents one yet; kept for the vocabulary).
    Failed,
    /// A state the gateway does not know; see `provider_data`.
    Other,
}

impl OrderStatus {
    /// Every status, in wire order.
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::Pending,
        OrderStatus::Provisioning,
        OrderStatus::Completed,
        OrderStatus::Canceled,
        OrderStatus::Refunded,
        OrderStatus::Failed,
        OrderStatus::Other,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Provisioning => "provisioning",
            OrderStatus::Completed => "completed",
            OrderStatus::Canceled => "canceled",
            OrderStatus::Refunded => "refunded",
            OrderStatus::Failed => "failed",
            OrderStatus::Other => "other",
        }
    }

    /// A wire name back.
    pub fn parse(text: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One order, normalized.
#[derive(Clone, Debug)]
pub struct Order {
    /// `<account>:<upstream id>` (911: the `trade_no`; helodata: `ord_…`).
    pub id: ProxyUserId,
    /// Where it stands.
    pub status: OrderStatus,
    /// What it buys, when the provider says (911's order list names a package, not a
    /// product type: `None` unless the listing was filtered by product).
    pub product: Option<Product>,
    /// The provider's description (911 `product_name`).
    pub description: Option<String>,
    /// The price before discounts (911 `total_fee`; helodata `total_usd`).
    pub amount: Option<Money>,
    /// What was or is to be paid after discounts (911 `pay_fee`).
    pub paid_amount: Option<Money>,
    /// When it was placed (UTC).
    pub created_at: Option<OffsetDateTime>,
    /// The provider's object.
    pub provider_data: serde_json::Value,
}

/// Which orders a listing wants.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    /// Only this status.
    pub status: Option<OrderStatus>,
    /// Only this product.
    pub product: Option<Product>,
    /// Only orders placed at or after this instant.
    pub from: Option<OffsetDateTime>,
    /// Only orders placed before this instant.
    pub to: Option<OffsetDateTime>,
}

impl OrderFilter {
    /// Whether `order` passes the filters a provider cannot apply itself (the time window).
    pub fn admits_time(&self, order: &Order) -> bool {
        let Some(at) = order.created_at else {
            return self.from.is_none() && self.to.is_none();
        };
        self.from.is_none_or(|from| at >= from) && self.to.is_none_or(|to| at < to)
    }
}

/// What a caller asks to buy. One shape for every provider: each adapter takes the fields its
/// provider documents and refuses the others by name (helodata: `product` with `gb`, or
/// `product: isp` with `country`, `city`, `asn`, `quantity`, `months`, `proxy_user`; 911:
/// `package_id`, `payment_method` and the optional fields of `order/create`).
#[derive(Clone, Debug, Default)]
pub struct OrderRequest {
    /// helodata: what to buy (`residential`, `mobile`: bandwidth; `isp`: an IP batch).
    pub product: Option<Product>,
    /// helodata bandwidth: gigabytes.
    pub gb: Option<u64>,
    /// helodata ISP: ISO country code.
    pub country: Option<String>,
    /// helodata ISP: city (tier-1 countries).
    pub city: Option<String>,
    /// helodata ISP: autonomous system number.
    pub asn: Option<u32>,
    /// helodata ISP: IPs (5–5,000); 911: packages (`amount`).
    pub quantity: Option<u64>,
    /// helodata ISP: billing months; 911: static IP renewal months (`renew_duration`).
    pub months: Option<u32>,
    /// helodata ISP: the sub-user the batch belongs to (upstream id).
    pub proxy_user: Option<String>,
    /// 911: the package (`pid`).
    pub package_id: Option<u64>,
    /// 911: the payment method's upstream id (`pm_id`).
    pub payment_method: Option<String>,
    /// 911: static IPs to renew (upstream ids, `upids`).
    pub static_ips: Vec<String>,
    /// 911: regions and quantities of a static IP purchase, as 911 takes them
    /// (`region_list`).
    pub regions: Option<String>,
    /// 911: a coupon code (`coupon_sn`).
    pub coupon: Option<String>,
    /// 911: use the invitation registration discount.
    pub use_invitation_discount: Option<bool>,
    /// 911 package 11: the bandwidth SKU (`product_sku_bandwidth_id`).
    pub bandwidth_sku_id: Option<u64>,
    /// 911 package 11: the concurrency SKU (`product_sku_concurrency_id`).
    pub concurrency_sku_id: Option<u64>,
    /// 911 package 3: the top-up amount (`recharge_amount`, whole units).
    pub top_up_amount: Option<Decimal>,
}

impl OrderRequest {
    /// The names of the fields this request sets, in wire order: what an adapter checks
    /// against the fields its provider takes.
    pub fn fields_set(&self) -> Vec<&'static str> {
        let flags = [
            ("product", self.product.is_some()),
            ("gb", self.gb.is_some()),
            ("country", self.country.is_some()),
            ("city", self.city.is_some()),
            ("asn", self.asn.is_some()),
            ("quantity", self.quantity.is_some()),
            ("months", self.months.is_some()),
            ("proxy_user", self.proxy_user.is_some()),
            ("package_id", self.package_id.is_some()),
            ("payment_method", self.payment_method.is_some()),
            ("static_ips", !self.static_ips.is_empty()),
            ("regions", self.regions.is_some()),
            ("coupon", self.coupon.is_some()),
            (
                "use_invitation_discount",
                self.use_invitation_discount.is_some(),
            ),
            ("bandwidth_sku_id", self.bandwidth_sku_id.is_some()),
            ("concurrency_sku_id", self.concurrency_sku_id.is_some()),
            ("top_up_amount", self.top_up_amount.is_some()),
        ];
        flags
            .into_iter()
            .filter(|(_, set)| *set)
            .map(|(name, _)| name)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_wire_names() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::parse("paid"), None);
    }

    #[test]
    fn the_time_window_is_inclusive_at_from_and_exclusive_at_to() {
        let at = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let order = |created_at| Order {
            id: ProxyUserId::new("a", "1"),
            status: OrderStatus::Pending,
            product: None,
            description: None,
            amount: None,
            paid_amount: None,
            created_at,
            provider_data: serde_json::Value::Null,
        };
        let window = OrderFilter {
            from: Some(at),
            to: Some(at + time::Duration::seconds(1)),
            ..OrderFilter::default()
        };
        assert!(window.admits_time(&order(Some(at))));
        assert!(!window.admits_time(&order(Some(at + time::Duration::seconds(1)))));
        assert!(!window.admits_time(&order(Some(at - time::Duration::seconds(1)))));
        assert!(
            !window.admits_time(&order(None)),
            "no time: not in a window"
        );
        assert!(OrderFilter::default().admits_time(&order(None)));
    }

    #[test]
    fn fields_set_names_exactly_the_fields_given() {
        let request = OrderRequest {
            product: Some(Product::Isp),
            quantity: Some(5),
            static_ips: vec!["1".into()],
            ..OrderRequest::default()
        };
        assert_eq!(request.fields_set(), ["product", "quantity", "static_ips"]);
    }
}
