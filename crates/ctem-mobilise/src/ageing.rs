//! Ageing and escalation: how long an exposure or action is overdue and
//! who must hear about it. Levels come from `[[escalation]]` in `ctem.toml`
//! (`docs/mobilisation.md`); without them, [`default_levels`] applies.

use ctem_model::DAY;
use serde::Serialize;

/// One escalation level: from `after_days` overdue, `notify` must know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EscalationLevel {
    /// 1 is the first level.
    pub level: u8,
    pub name: String,
    /// Days past the due date from which this level applies (0: on the
    /// day after the due date).
    pub after_days: u32,
    /// Who is notified: owner ids or addresses; empty means the service owner.
    pub notify: Vec<String>,
}

/// The levels used when `ctem.toml` has no `[[escalation]]`: the owner when
/// overdue, the owner's management after 7 days, the CISO after 30.
pub fn default_levels() -> Vec<EscalationLevel> {
    let l = |level, name: &str, after_days| EscalationLevel {
        level,
        name: name.into(),
        after_days,
        notify: Vec::new(),
    };
    vec![
        l(1, "owner", 0),
        l(2, "service management", 7),
        l(3, "CISO", 30),
    ]
}

/// The ageing of one dated item at `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ageing {
    /// Whole days past due (0 when not overdue).
    pub days_overdue: i64,
    /// The highest level reached, when overdue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalation: Option<EscalationLevel>,
}

/// How overdue an item due at `due` is, and the escalation level reached.
/// An item is overdue from the second after its due time.
pub fn ageing(levels: &[EscalationLevel], due: i64, now: i64) -> Ageing {
    if now <= due {
        return Ageing {
            days_overdue: 0,
            escalation: None,
        };
    }
    let days = (now - due).div_euclid(DAY);
    let escalation = levels
        .iter()
        .filter(|l| i64::from(l.after_days) <= days)
        .max_by_key(|l| (l.after_days, l.level))
        .cloned();
    Ageing {
        days_overdue: days,
        escalation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escalation_climbs_with_days_overdue() {
        let lv = default_levels();
        let due = 100 * DAY;
        assert_eq!(ageing(&lv, due, due).escalation, None);
        let a = ageing(&lv, due, due + 3600);
        assert_eq!(
            (a.days_overdue, a.escalation.map(|l| l.level)),
            (0, Some(1))
        );
        let a = ageing(&lv, due, due + 7 * DAY);
        assert_eq!(
            (a.days_overdue, a.escalation.map(|l| l.level)),
            (7, Some(2))
        );
        let a = ageing(&lv, due, due + 45 * DAY);
        assert_eq!(
            (a.days_overdue, a.escalation.map(|l| l.name)),
            (45, Some("CISO".into()))
        );
        assert_eq!(ageing(&[], due, due + 45 * DAY).escalation, None);
    }
}
