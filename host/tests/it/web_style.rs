//! The style sheet's promises a person relies on, read from `static/css/app.css` itself.

use std::path::Path;

/// The relative luminance of an sRGB colour `#rrggbb` (WCAG 2.x).
fn luminance(hex: &str) -> f64 {
    let channel = |i: usize| {
        let value = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
        if value <= 0.04045 {
            value / 12.92
        } else {
            ((value + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
}

fn contrast(a: &str, b: &str) -> f64 {
    let (a, b) = (luminance(a), luminance(b));
    (a.max(b) + 0.05) / (a.min(b) + 0.05)
}

/// The value of the custom property `name` in the sheet's `:root`.
fn variable(css: &str, name: &str) -> String {
    let start = css
        .find(&format!("{name}:"))
        .expect("the property is defined")
        + name.len()
        + 1;
    css[start..].split(';').next().unwrap().trim().to_owned()
}

/// Issue 16: the focus outline meets WCAG 1.4.11 (3:1 against what surrounds it: the page's
/// white and its soft grey panels). The yellow it had was 1.9:1 on white.
#[test]
fn the_focus_outline_stands_out_from_the_page() {
    let css = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../static/css/app.css"),
    )
    .unwrap();
    let focus = variable(&css, "--focus");
    for background in ["#ffffff".to_owned(), variable(&css, "--bg-soft")] {
        let ratio = contrast(&focus, &background);
        assert!(
            ratio >= 3.0,
            "the focus colour {focus} is {ratio:.2}:1 against {background}"
        );
    }
    // Every focusable kind of element shows it.
    assert!(css.contains("a:focus, button:focus, input:focus, select:focus"));
    assert!(css.contains("outline: 3px solid var(--focus)"));
}
