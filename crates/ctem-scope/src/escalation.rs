//! `[[escalation]]`: who hears about overdue work, and when. Levels are
//! checked here (positive, increasing days; known owners); the ageing
//! itself is computed by `ctem-mobilise::ageing`. `[[trackers]]` is only
//! accepted here: `ctem-ticket` reads and checks it.

use serde::Deserialize;

/// One level as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEscalation {
    pub name: String,
    pub after_days: toml::Spanned<i64>,
    #[serde(default)]
    pub notify: Vec<toml::Spanned<String>>,
}

/// One escalation level: from `after_days` past the due date, `notify`
/// (owner ids from `[owners]`, or e-mail addresses; empty means the
/// service owner) must be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    pub level: u8,
    pub name: String,
    pub after_days: u32,
    pub notify: Vec<String>,
}

impl crate::Checker<'_> {
    pub(crate) fn escalation(
        &mut self,
        raw: Vec<toml::Spanned<RawEscalation>>,
        owners: &std::collections::BTreeMap<String, ctem_model::Owner>,
    ) -> Vec<Escalation> {
        let mut out: Vec<Escalation> = Vec::new();
        for (i, r) in raw.into_iter().enumerate() {
            let r = r.into_inner();
            let days = *r.after_days.get_ref();
            if !(0..=3650).contains(&days) {
                self.error(
                    r.after_days.span(),
                    format!("escalation after_days must be from 0 to 3650, not {days}"),
                );
            } else if out.last().is_some_and(|l| i64::from(l.after_days) >= days) {
                self.error(
                    r.after_days.span(),
                    format!(
                        "escalation levels must be in increasing after_days order: {days} follows {}",
                        out.last().map(|l| l.after_days).unwrap_or(0)
                    ),
                );
            }
            for n in &r.notify {
                let v = n.get_ref();
                if !v.contains('@') && !owners.contains_key(v) {
                    self.error(
                        n.span(),
                        format!("escalation notifies `{v}`, which is neither an owner id from [owners] nor an e-mail address"),
                    );
                }
            }
            out.push(Escalation {
                level: (i + 1).min(255) as u8,
                name: r.name,
                after_days: days.clamp(0, 3650) as u32,
                notify: r.notify.into_iter().map(|n| n.into_inner()).collect(),
            });
        }
        out
    }
}
