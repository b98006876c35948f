//! Tombstones: both stores keep the same snapshot, byte for byte, and list and filter it the
//! same way (newest first, the same filters as the live listing).

use proxy_gateway::domain::products::Product;
use proxy_gateway::domain::proxy_users::{ProxyUserId, ProxyUserStatus};
use proxy_gateway::domain::tombstones::{Tombstone, TombstoneFilter};
use proxy_gateway::store::Store;
use time::OffsetDateTime;

fn tombstone(account: &str, upstream: &str, label: Option<&str>, product: Product) -> Tombstone {
    Tombstone {
        id: ProxyUserId::new(account, upstream),
        provider: "911proxy".into(),
        username: upstream.into(),
        label: label.map(str::to_string),
        products: vec![product],
        status: ProxyUserStatus::Disabled,
        traffic_limit_bytes: Some(5 << 30),
        traffic_used_bytes: Some(u64::MAX - 7),
        concurrency_max: Some(12),
        rps_max: None,
        created_at: Some(OffsetDateTime::from_unix_timestamp(1_764_000_000).unwrap()),
        // Key order, a big integer, a fraction and non-ASCII text must all read back as written.
        provider_data: serde_json::from_str(
            r#"{"username":"x","remark":"Überwachung ✓","limit_flow":18446744073709551608,"ratio":0.1,"a":1}"#,
        )
        .unwrap(),
        deleted_at: OffsetDateTime::from_unix_timestamp_nanos(1_765_000_000_123_456_000).unwrap(),
        deleted_by: "key_01JDQ6Z8M9W3V7Y2K1T0R5N4PX".into(),
    }
}

fn accounts(names: &[&str]) -> TombstoneFilter {
    TombstoneFilter {
        accounts: names.iter().map(|n| n.to_string()).collect(),
        ..TombstoneFilter::default()
    }
}

fn names(listed: &[proxy_gateway::domain::tombstones::ListedTombstone]) -> Vec<String> {
    listed.iter().map(|l| l.tombstone.id.to_string()).collect()
}

async fn a_tombstone_reads_back_exactly_and_a_cause_records_once(store: Store) {
    let tombs = store.tombstones.as_ref();
    let first = tombstone(
        "911proxy",
        "user01",
        Some("Crawler-EU"),
        Product::Residential,
    );
    assert!(tombs.record("cause-1", &first).await.unwrap());
    let again = Tombstone {
        label: Some("changed".into()),
        ..first.clone()
    };
    assert!(
        !tombs.record("cause-1", &again).await.unwrap(),
        "the same cause records nothing more"
    );
    let read = tombs.latest(&first.id).await.unwrap().expect("recorded");
    assert_eq!(read, first);
    assert_eq!(
        read.provider_data.to_string(),
        first.provider_data.to_string(),
        "the snapshot reads back byte for byte"
    );
    assert!(
        tombs
            .latest(&ProxyUserId::new("911proxy", "nobody"))
            .await
            .unwrap()
            .is_none()
    );
    // The same id deleted again later (911 usernames can be reused): the newest wins.
    let later = Tombstone {
        label: Some("second life".into()),
        deleted_at: first.deleted_at + time::Duration::hours(1),
        ..first.clone()
    };
    assert!(tombs.record("cause-2", &later).await.unwrap());
    assert_eq!(tombs.latest(&first.id).await.unwrap(), Some(later));
}

async fn tombstones_list_newest_first_and_every_filter_narrows(store: Store) {
    let tombs = store.tombstones.as_ref();
    let rows = [
        tombstone(
            "911proxy",
            "alpha1",
            Some("Crawler-EU"),
            Product::Residential,
        ),
        tombstone("helodata", "sub_1", Some("crawler-us"), Product::Isp),
        tombstone("911proxy", "alpha2", None, Product::Isp),
        tombstone("911proxy", "beta1", Some("Batch"), Product::Residential),
        tombstone("other", "alpha3", Some("crawler"), Product::Residential),
    ];
    for (i, row) in rows.iter().enumerate() {
        tombs.record(&format!("c{i}"), row).await.unwrap();
    }
    let both = accounts(&["911proxy", "helodata"]);
    let all = tombs.list(&both, None, 10).await.unwrap();
    assert_eq!(
        names(&all),
        [
            "911proxy:beta1",
            "911proxy:alpha2",
            "helodata:sub_1",
            "911proxy:alpha1"
        ],
        "newest first, only the named accounts"
    );
    assert!(all.windows(2).all(|w| w[0].seq > w[1].seq));
    // Pages follow the seq without gaps or repeats.
    let first = tombs.list(&both, None, 2).await.unwrap();
    let second = tombs.list(&both, Some(first[1].seq), 2).await.unwrap();
    assert_eq!(
        [names(&first), names(&second)].concat(),
        names(&all),
        "two pages are the whole list"
    );
    assert!(
        tombs
            .list(&both, Some(second[1].seq), 2)
            .await
            .unwrap()
            .is_empty()
    );
    let store = &store;
    let filtered = |filter: TombstoneFilter| async move {
        names(&store.tombstones.list(&filter, None, 10).await.unwrap())
    };
    assert_eq!(
        filtered(TombstoneFilter {
            product: Some(Product::Isp),
            ..both.clone()
        })
        .await,
        ["911proxy:alpha2", "helodata:sub_1"]
    );
    assert_eq!(
        filtered(TombstoneFilter {
            label_contains: Some("CRAWLER".into()),
            ..both.clone()
        })
        .await,
        ["helodata:sub_1", "911proxy:alpha1"],
        "the label filter ignores case; a user without a label never matches"
    );
    assert_eq!(
        filtered(TombstoneFilter {
            username_prefix: Some("alpha".into()),
            ..accounts(&["911proxy", "other"])
        })
        .await,
        ["other:alpha3", "911proxy:alpha2", "911proxy:alpha1"]
    );
    assert_eq!(
        filtered(TombstoneFilter {
            username_prefix: Some("ALPHA".into()),
            ..both.clone()
        })
        .await,
        Vec::<String>::new(),
        "the username prefix is exact"
    );
    assert!(
        filtered(accounts(&[])).await.is_empty(),
        "no account, nothing"
    );
    // The in-memory rule agrees with both stores' SQL.
    for filter in [
        TombstoneFilter {
            label_contains: Some("crawler".into()),
            ..accounts(&["911proxy", "helodata", "other"])
        },
        TombstoneFilter {
            product: Some(Product::Residential),
            username_prefix: Some("a".into()),
            ..accounts(&["911proxy", "other"])
        },
    ] {
        let expected: Vec<String> = rows
            .iter()
            .rev()
            .filter(|t| filter.matches(t))
            .map(|t| t.id.to_string())
            .collect();
        assert_eq!(filtered(filter).await, expected);
    }
}

conformance!(
    a_tombstone_reads_back_exactly_and_a_cause_records_once,
    tombstones_list_newest_first_and_every_filter_narrows,
);
