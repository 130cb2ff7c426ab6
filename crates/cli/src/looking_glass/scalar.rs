//! JSON scalars written as the original's Python printed them (`"%s" % value`): `True`,
//! `False`, `None`, and floats in Python's shortest `repr` (`1.0`, `1e-05`, `1e+16`).

use serde_json::Number;

use crate::json::Json;

/// Python's `str()` of a scalar. A container only comes here as an odd `id` (where the
/// original crashed), and gets its debug form.
pub fn python_str(value: &Json) -> String {
    match value {
        Json::Null => "None".to_owned(),
        Json::Bool(true) => "True".to_owned(),
        Json::Bool(false) => "False".to_owned(),
        Json::Number(n) => number(n),
        Json::String(s) => s.clone(),
        Json::Array(_) | Json::Object(_) => format!("{value:?}"),
    }
}

fn number(n: &Number) -> String {
    match (n.as_i64(), n.as_u64(), n.as_f64()) {
        (Some(i), _, _) => i.to_string(),
        (_, Some(u), _) => u.to_string(),
        (_, _, Some(f)) => float_repr(f),
        _ => n.to_string(),
    }
}

/// Python's `repr(float)`: the shortest digits that read back the same, positional when the
/// decimal exponent is in [-4, 16), scientific otherwise (with a signed, 2-digit exponent).
fn float_repr(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "nan".to_owned()
        } else if f > 0.0 {
            "inf".to_owned()
        } else {
            "-inf".to_owned()
        };
    }
    // Rust's `{:e}` gives the same shortest round-trip digits as Python's repr.
    let sci = format!("{f:e}");
    let (mantissa, exponent) = sci.split_once('e').expect("{:e} has an exponent");
    let exponent: i32 = exponent.parse().expect("{:e} exponent is an integer");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exponent) {
        let point = exponent + 1;
        let text = if point <= 0 {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        } else if point as usize >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            let (int, frac) = digits.split_at(point as usize);
            format!("{int}.{frac}")
        };
        format!("{sign}{text}")
    } else {
        let (first, rest) = digits.split_at(1);
        let mantissa = if rest.is_empty() {
            first.to_owned()
        } else {
            format!("{first}.{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exponent.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_as_python_prints_them() {
        let cases = [
            ("null", "None"),
            ("true", "True"),
            ("false", "False"),
            ("-12", "-12"),
            ("18446744073709551615", "18446744073709551615"),
            ("\"a b\"", "a b"),
        ];
        for (json, printed) in cases {
            assert_eq!(python_str(&json.parse().unwrap()), printed, "{json}");
        }
    }

    /// Expected values are what Python 3 prints for `repr(float(x))`.
    #[test]
    fn floats_as_python_repr() {
        let cases = [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (-2.25, "-2.25"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (123456.789, "123456.789"),
            (1e15, "1000000000000000.0"),
            (1234567890123456.0, "1234567890123456.0"),
            (1e16, "1e+16"),
            (1.2345e20, "1.2345e+20"),
            (1e100, "1e+100"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
        ];
        for (f, printed) in cases {
            assert_eq!(float_repr(f), printed, "{f}");
        }
    }
}
