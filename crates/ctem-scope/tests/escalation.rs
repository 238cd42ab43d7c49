//! `[[escalation]]` levels are read in order and checked (days, order,
//! contacts) with the line of each mistake; `[[trackers]]` is accepted here
//! and left to `ctem-ticket`.

use ctem_scope::Scope;

fn doc_example() -> String {
    let doc = include_str!("../../../docs/scope.md");
    // The full example; smaller snippets earlier in the page are fragments.
    let doc = &doc[doc
        .find("## A full example")
        .expect("a full example section")..];
    let start = doc.find("```toml\n").expect("an example") + 8;
    let end = doc[start..].find("```").expect("closed") + start;
    doc[start..end].to_string()
}

#[test]
fn levels_are_read_in_order() {
    let text = format!(
        "{}\n[[escalation]]\nname = \"owner\"\nafter_days = 0\n\n[[escalation]]\nname = \"CISO\"\nafter_days = 30\nnotify = [\"ciso@atlantica.example\"]\n\n[[trackers]]\nname = \"jira\"\nsystem = \"jira\"\nurl = \"https://x\"\n",
        doc_example()
    );
    let s = Scope::parse(&text, "ctem.toml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.escalation.len(), 2);
    assert_eq!((s.escalation[1].level, s.escalation[1].after_days), (2, 30));
    assert_eq!(s.escalation[1].notify, vec!["ciso@atlantica.example"]);
    assert!(
        Scope::parse(&doc_example(), "ctem.toml")
            .expect("valid")
            .escalation
            .is_empty()
    );
}

#[test]
fn mistakes_name_their_line() {
    let base = doc_example();
    let first = base.lines().count() + 2;
    let text = format!(
        "{base}\n[[escalation]]\nname = \"owner\"\nafter_days = 10\n\n[[escalation]]\nname = \"ciso\"\nafter_days = 5\nnotify = [\"nobody\"]\n"
    );
    let e = Scope::parse(&text, "ctem.toml")
        .expect_err("rejected")
        .to_string();
    assert!(e.contains("increasing after_days order"), "{e}");
    assert!(e.contains("`nobody`"), "{e}");
    assert!(
        e.contains(&format!("ctem.toml:{}", first + 6)),
        "line of the second after_days: {e}"
    );
}
