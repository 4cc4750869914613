//! `HaCluster` rules: where a location constraint applies (node attributes, dates).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `<rule>`: a score that applies where its expressions hold.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Rule {
    /// `INFINITY`, `-INFINITY` or an integer (or `scoreAttribute`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<String>,
    /// A node attribute whose value is the score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_attribute: Option<String>,
    /// Only for this role (`Promoted`, `Unpromoted`, `Started`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// `and` (default) or `or` between the expressions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boolean_op: Option<String>,
    pub expressions: Vec<Expression>,
}

/// One condition: a node attribute test (`attribute`, `operation`, `value`) or a
/// date test (`date`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Expression {
    /// A node attribute (`#uname`, `#kind`, `rack`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// `lt`, `gt`, `lte`, `gte`, `eq`, `ne`, `defined`, `not_defined`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// How values compare: `string`, `integer`, `number`, `version`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `literal` (default), `param` or `meta`: where `value` comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_source: Option<String>,
    /// A date test instead of an attribute test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<DateExpression>,
}

/// `<date_expression>`: now compared with `start`/`end`, or matching `spec`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DateExpression {
    /// `gt` (after `start`), `lt` (before `end`), `in_range`, `date_spec`.
    pub operation: String,
    /// An ISO 8601 date (`2024-01-01`, `2024-01-01T08:00:00`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// `date_spec` fields (`hours: 9-16`, `weekdays: 1-5`...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spec: BTreeMap<String, String>,
    /// `in_range` with a duration instead of `end` (`months: "1"`...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub duration: BTreeMap<String, String>,
}

/// The fields a `date_spec` and a `duration` take.
pub const DATE_FIELDS: &[&str] = &[
    "seconds",
    "minutes",
    "hours",
    "monthdays",
    "weekdays",
    "yeardays",
    "months",
    "weeks",
    "years",
    "weekyears",
    "moon",
];
