//! `payment/groups` (the `pm_id` of `order/create`) and `activity/balance-recharge-gift-ratio`,
//! both code-0 endpoints, read field by field: every documented field is optional.

use serde_json::Value;

use super::client::Nine11Client;
use super::map::{text, usd};
use super::wire::{PAYMENT_GROUPS, RECHARGE_GIFT_RATIO};
use crate::domain::money::Decimal;
use crate::domain::payments::{PaymentMethod, Promotion, PromotionKind};
use crate::providers::ProviderError;

/// The groups of a `payment/groups` answer. The example nests them under `data.list`; the
/// field table puts one group's `name`/`logos`/`items` straight under `data`. Both are read.
fn groups(data: &Value) -> Vec<&Value> {
    match data.get("list").and_then(Value::as_array) {
        Some(list) => list.iter().collect(),
        None if data.get("items").is_some() => vec![data],
        None => Vec::new(),
    }
}

/// Every payment method, in the provider's order, disabled ones included (marked).
pub fn payment_methods(data: &Value) -> Vec<PaymentMethod> {
    let mut out = Vec::new();
    for group in groups(data) {
        let group_name = text(group, "name");
        for item in group
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(id) = text(item, "id") else { continue };
            out.push(PaymentMethod {
                name: text(item, "title").unwrap_or_else(|| id.clone()),
                upstream_id: id,
                group: text(item, "group"),
                group_name: group_name.clone(),
                // `disabled` defaults to false (its field table).
                available: !item
                    .get("disabled")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                min_amount: usd(item, "min"),
                max_amount: usd(item, "max"),
                logo_url: text(item, "logo"),
                provider_data: item.clone(),
            });
        }
    }
    out
}

/// The top-up bonus tiers, smallest first; a tier without an amount or a ratio is skipped.
pub fn promotions(data: &Value) -> Vec<Promotion> {
    let mut out: Vec<Promotion> = data
        .get("list")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|tier| {
            let min_amount = usd(tier, "amount")?;
            let ratio = Decimal::from_json(tier.get("ratio")?)?;
            Some(Promotion {
                upstream_id: format!("top_up_bonus_{}", min_amount.amount),
                kind: PromotionKind::TopUpBonus,
                min_amount,
                ratio,
                provider_data: tier.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        let key = |p: &Promotion| p.min_amount.amount.as_str().parse::<f64>().unwrap_or(0.0);
        key(a).total_cmp(&key(b))
    });
    out
}

/// `GET payment/groups`.
pub async fn read_payment_methods(
    client: &Nine11Client,
    order: Option<&str>,
) -> Result<Vec<PaymentMethod>, ProviderError> {
    // `trade_no`: "can be passed in when some orders need to obtain a specific payment method".
    let query: Vec<(&str, String)> = order
        .map(|t| ("trade_no", t.to_string()))
        .into_iter()
        .collect();
    Ok(payment_methods(&client.get(PAYMENT_GROUPS, &query).await?))
}

/// `GET activity/balance-recharge-gift-ratio`.
pub async fn read_promotions(client: &Nine11Client) -> Result<Vec<Promotion>, ProviderError> {
    Ok(promotions(&client.get(RECHARGE_GIFT_RATIO, &[]).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn methods_are_read_from_the_example_shape_and_from_the_field_table_shape() {
        let item = json!({"id": 1, "title": "title1", "logo": "https://example.com/logo1.png",
                          "group": "online", "disabled": true, "min": 10, "max": 5000.5});
        let example = json!({"list": [{"name": "Grouping", "logos": [], "items": [item]}]});
        let table = json!({"name": "Grouping", "logos": [], "items": [item]});
        for data in [example, table] {
            let methods = payment_methods(&data);
            assert_eq!(methods.len(), 1);
            let m = &methods[0];
            assert_eq!(m.upstream_id, "1");
            assert_eq!(m.name, "title1");
            assert_eq!(m.group.as_deref(), Some("online"));
            assert_eq!(m.group_name.as_deref(), Some("Grouping"));
            assert!(!m.available);
            let min = m.min_amount.as_ref().unwrap();
            assert_eq!((min.amount.as_str(), min.currency.as_str()), ("10", "USD"));
            assert_eq!(m.max_amount.as_ref().unwrap().amount.as_str(), "5000.5");
        }
        assert!(payment_methods(&json!({})).is_empty());
    }

    #[test]
    fn bonus_tiers_become_promotions_smallest_first_with_exact_ratios() {
        let data = json!({"list": [{"amount": 500, "ratio": 1.1}, {"amount": 100, "ratio": 1.05},
                                   {"amount": 50}, {"ratio": 2}]});
        let promos = promotions(&data);
        let seen: Vec<_> = promos
            .iter()
            .map(|p| {
                (
                    p.upstream_id.as_str(),
                    p.min_amount.amount.as_str(),
                    p.ratio.as_str(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("top_up_bonus_100", "100", "1.05"),
                ("top_up_bonus_500", "500", "1.1")
            ]
        );
        assert!(promos.iter().all(|p| p.kind == PromotionKind::TopUpBonus));
    }
}
