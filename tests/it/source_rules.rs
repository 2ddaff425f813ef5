//! Rules about the library's source tree, checked by reading `src/`:
//!
//! - its modules form no cycle: following every `crate::`, `super::` and
//!   `self::` path (in `use` items and inline), through re-exports such as
//!   the root's `pub use element::Element`, never leads back where it began;
//! - no file passes 600 lines, and no kernel file 500;
//! - comments and docs state rules, not histories: no machine names,
//!   bandwidths or rates (those live in BENCHMARKS.md, keyed by commit).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// One module: the names it declares as child modules, the names it imports
/// (`use` items, with the path each one stands for), its glob imports, and
/// the paths it names anywhere.
#[derive(Default, Debug)]
struct Module {
    children: BTreeSet<String>,
    imports: BTreeMap<String, Vec<String>>,
    globs: Vec<Vec<String>>,
    mentions: Vec<Vec<String>>,
}

type Modules = BTreeMap<Vec<String>, Module>;

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The module path of a file: `src/kernel/mod.rs` is `["kernel"]`,
/// `src/lib.rs` the root `[]`.
fn module_of(file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(source_root()).expect("under src/");
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_owned());
    }
    parts
}

/// The file's text with comments, string and char literals blanked out, so
/// that only code is scanned for paths.
fn code_only(text: &str) -> String {
    let bytes: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < bytes.len() && bytes[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < bytes.len() {
                if bytes[i] == '/' && bytes.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if bytes[i] == '*' && bytes.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == 'r' && (next == Some('"') || (next == Some('#') && bytes.get(i + 2) == Some(&'"'))) {
            // A raw string: r"…" or r#"…"#.
            let hashes = if next == Some('#') { 1 } else { 0 };
            i += 2 + hashes;
            while i < bytes.len() {
                if bytes[i] == '"' && (hashes == 0 || bytes.get(i + 1) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < bytes.len() && bytes[i] != '"' {
                i += if bytes[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && next.is_some() && (bytes.get(i + 2) == Some(&'\'') || next == Some('\\')) {
            // A char literal ('x' or an escape), not a lifetime.
            i += 1;
            while i < bytes.len() && bytes[i] != '\'' {
                i += if bytes[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Punct(char),
    PathSep,
}

fn tokens(code: &str) -> Vec<Token> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Word(chars[start..i].iter().collect()));
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push(Token::PathSep);
            i += 2;
        } else {
            if !c.is_whitespace() {
                out.push(Token::Punct(c));
            }
            i += 1;
        }
    }
    out
}

/// Expands a `use` tree starting at `at` (after `use`) into (name, path)
/// pairs; returns the index after the tree.
fn use_tree(tokens: &[Token], mut at: usize, prefix: &[String], out: &mut Vec<(String, Vec<String>)>) -> usize {
    let mut path = prefix.to_vec();
    loop {
        match tokens.get(at) {
            Some(Token::Word(w)) => {
                path.push(w.clone());
                at += 1;
                if tokens.get(at) == Some(&Token::PathSep) {
                    at += 1;
                    continue;
                }
                let mut name = w.clone();
                if tokens.get(at) == Some(&Token::Word("as".to_owned())) {
                    if let Some(Token::Word(alias)) = tokens.get(at + 1) {
                        name = alias.clone();
                    }
                    at += 2;
                }
                if name == "self" {
                    path.pop();
                    name = path.last().cloned().unwrap_or_default();
                }
                out.push((name, path));
                return at;
            }
            Some(Token::Punct('*')) => {
                out.push(("*".to_owned(), path));
                return at + 1;
            }
            Some(Token::Punct('{')) => {
                at += 1;
                while tokens.get(at) != Some(&Token::Punct('}')) && at < tokens.len() {
                    at = use_tree(tokens, at, &path, out);
                    if tokens.get(at) == Some(&Token::Punct(',')) {
                        at += 1;
                    }
                }
                return at + 1;
            }
            _ => return at + 1,
        }
    }
}

fn is_path_start(word: &str) -> bool {
    matches!(word, "crate" | "super" | "self")
}

/// Reads every module of `src/`, inline `mod name { … }` blocks included.
fn read_modules() -> Modules {
    let mut files = Vec::new();
    rust_files(&source_root(), &mut files);
    let mut modules = Modules::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("a readable source file");
        let tokens = tokens(&code_only(&text));
        // The module each open brace belongs to, innermost last.
        let mut stack: Vec<(Vec<String>, usize)> = vec![(module_of(&file), 0)];
        let mut depth = 0;
        let mut i = 0;
        modules.entry(module_of(&file)).or_default();
        while i < tokens.len() {
            let current = stack.last().expect("the file's module").0.clone();
            match &tokens[i] {
                Token::Word(w) if w == "mod" => {
                    if let Some(Token::Word(name)) = tokens.get(i + 1) {
                        modules.entry(current.clone()).or_default().children.insert(name.clone());
                        if tokens.get(i + 2) == Some(&Token::Punct('{')) {
                            let mut inner = current.clone();
                            inner.push(name.clone());
                            modules.entry(inner.clone()).or_default();
                            depth += 1;
                            stack.push((inner, depth));
                            i += 3;
                            continue;
                        }
                    }
                    i += 2;
                }
                Token::Word(w) if w == "use" => {
                    let mut pairs = Vec::new();
                    i = use_tree(&tokens, i + 1, &[], &mut pairs);
                    let module = modules.entry(current).or_default();
                    for (name, path) in pairs {
                        if name == "*" {
                            module.globs.push(path);
                        } else {
                            module.imports.insert(name, path);
                        }
                    }
                }
                Token::Word(w) if is_path_start(w) && tokens.get(i + 1) == Some(&Token::PathSep) => {
                    let mut path = vec![w.clone()];
                    i += 1;
                    while tokens.get(i) == Some(&Token::PathSep) {
                        match tokens.get(i + 1) {
                            Some(Token::Word(next)) => path.push(next.clone()),
                            _ => break,
                        }
                        i += 2;
                    }
                    modules.entry(current).or_default().mentions.push(path);
                }
                Token::Punct('{') => {
                    depth += 1;
                    i += 1;
                }
                Token::Punct('}') => {
                    if stack.len() > 1 && stack.last().is_some_and(|(_, d)| *d == depth) {
                        stack.pop();
                    }
                    depth -= 1;
                    i += 1;
                }
                _ => i += 1,
            }
        }
    }
    modules
}

/// The module that defines what `path`, named inside `from`, refers to:
/// paths are followed through child modules and through `use` items
/// (re-exports), and end at the module where the named item lives.
fn resolve(modules: &Modules, from: &[String], path: &[String], hops: usize) -> Vec<String> {
    let mut at: Vec<String> = from.to_vec();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            at.clear();
            rest = &rest[1..];
        }
        Some("super" | "self") => {
            while let Some(first) = rest.first().map(String::as_str) {
                match first {
                    "super" => {
                        at.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
        }
        // A path relative to the module: an import or a child.
        _ => {}
    }
    for (index, segment) in rest.iter().enumerate() {
        let Some(module) = modules.get(&at) else { return at };
        if module.children.contains(segment) {
            at.push(segment.clone());
        } else if let Some(target) = module.imports.get(segment) {
            if hops > 16 {
                return at;
            }
            let mut followed = target.clone();
            followed.extend(rest[index + 1..].iter().cloned());
            return resolve(modules, &at, &followed, hops + 1);
        } else {
            return at;
        }
    }
    at
}

fn dependencies(modules: &Modules) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut graph = BTreeMap::new();
    for (name, module) in modules {
        let mut targets = BTreeSet::new();
        let named = module.imports.values().chain(&module.globs).chain(&module.mentions);
        for path in named {
            // Only paths into the crate: `crate::`, `super::`, `self::`, or a
            // first segment that is one of this module's children.
            let first = path.first().map(String::as_str).unwrap_or("");
            if !is_path_start(first) && !module.children.contains(first) {
                continue;
            }
            targets.insert(resolve(modules, name, path, 0));
        }
        targets.remove(name);
        graph.insert(name.clone(), targets);
    }
    graph
}

fn show(module: &[String]) -> String {
    if module.is_empty() { "crate".to_owned() } else { module.join("::") }
}

/// A cycle through `start`, if any, as the list of modules along it.
fn cycle_from(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>, start: &[String]) -> Option<Vec<String>> {
    let mut trail = vec![start.to_vec()];
    let mut seen = BTreeSet::new();
    fn walk(
        graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        start: &[String],
        trail: &mut Vec<Vec<String>>,
        seen: &mut BTreeSet<Vec<String>>,
    ) -> bool {
        let here = trail.last().expect("a trail").clone();
        for next in graph.get(&here).into_iter().flatten() {
            if next.as_slice() == start {
                trail.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                trail.push(next.clone());
                if walk(graph, start, trail, seen) {
                    return true;
                }
                trail.pop();
            }
        }
        false
    }
    walk(graph, start, &mut trail, &mut seen).then(|| trail.iter().map(|m| show(m)).collect())
}

#[test]
fn the_modules_of_src_form_no_cycle() {
    let modules = read_modules();
    let graph = dependencies(&modules);
    // The scan must see the edges it exists to police, or it proves nothing:
    // layer's calls into the kernels, and the kernels' `crate::Element`
    // followed through the root's re-export to `element`.
    let under = |module: &[String], top: &str| module.first().is_some_and(|m| m == top);
    let reaches = |from: &str, to: &[String]| {
        graph.iter().any(|(m, targets)| under(m, from) && targets.iter().any(|t| t.starts_with(to)))
    };
    assert!(reaches("layer", &["kernel".to_owned()]), "layer's use of kernel was not seen");
    assert!(reaches("kernel", &["element".to_owned()]), "crate::Element was not followed to element");
    let cycles: Vec<String> = graph.keys().filter_map(|m| cycle_from(&graph, m)).map(|c| c.join(" → ")).collect();
    assert!(cycles.is_empty(), "module cycles in src/:\n{}", cycles.join("\n"));
}

#[test]
fn the_element_types_depend_only_on_the_vector_types() {
    // `Element` ties f32 and f64 to their vectors; everything it reaches,
    // directly or not, must be those leaves, never the kernels that use it.
    let graph = dependencies(&read_modules());
    let allowed = |m: &Vec<String>| {
        let path = show(m);
        path == "element"
            || path.starts_with("element::")
            || path.starts_with("kernel::simd")
            || path.starts_with("kernel::backend")
    };
    let mut reached: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut todo: Vec<Vec<String>> = graph.keys().filter(|m| show(m).starts_with("element")).cloned().collect();
    while let Some(module) = todo.pop() {
        for next in graph.get(&module).into_iter().flatten() {
            if reached.insert(next.clone()) {
                todo.push(next.clone());
            }
        }
    }
    assert!(reached.iter().any(|m| show(m) == "kernel::simd"), "element's use of the vector trait was not seen");
    let beyond: Vec<String> = reached.iter().filter(|m| !allowed(m)).map(|m| show(m)).collect();
    assert!(beyond.is_empty(), "element reaches beyond the vector types: {beyond:?}");
}

#[test]
fn no_source_file_is_too_long_to_read() {
    let mut files = Vec::new();
    rust_files(&source_root(), &mut files);
    let mut long = Vec::new();
    for file in files {
        let lines = fs::read_to_string(&file).expect("a readable source file").lines().count();
        let in_kernel = file.components().any(|c| c.as_os_str() == "kernel");
        let limit = if in_kernel { 500 } else { 600 };
        if lines > limit {
            long.push(format!("{} has {lines} lines (at most {limit})", file.display()));
        }
    }
    assert!(long.is_empty(), "split these by concern:\n{}", long.join("\n"));
}

/// Words that mark a measurement or a history: they belong in BENCHMARKS.md.
const NOT_IN_SOURCE: [&str; 14] = [
    "xeon",
    "epyc",
    "ryzen",
    "zen 4",
    "zen 5",
    "graviton",
    "gb/s",
    "gflop",
    "went from",
    "% faster",
    "% slower",
    "the note",
    "kernel issue",
    "code before",
];

#[test]
fn the_source_states_rules_not_measurements() {
    let mut files = Vec::new();
    rust_files(&source_root(), &mut files);
    let mut found = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("a readable source file");
        for (number, line) in text.lines().enumerate() {
            let lower = line.to_lowercase();
            for word in NOT_IN_SOURCE {
                if lower.contains(word) {
                    found.push(format!("{}:{}: {word:?} in {}", file.display(), number + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "move these to BENCHMARKS.md:\n{}", found.join("\n"));
}

#[test]
fn the_scan_finds_a_planted_cycle() {
    // Two modules that name each other, as the scan would read them.
    let mut modules = Modules::new();
    let mut a = Module::default();
    a.mentions.push(vec!["crate".to_owned(), "b".to_owned(), "f".to_owned()]);
    let mut b = Module::default();
    b.imports.insert("Thing".to_owned(), vec!["crate".to_owned(), "a".to_owned(), "Thing".to_owned()]);
    let mut root = Module::default();
    root.children.extend(["a".to_owned(), "b".to_owned()]);
    root.imports.insert("Thing".to_owned(), vec!["a".to_owned(), "Thing".to_owned()]);
    modules.insert(vec![], root);
    modules.insert(vec!["a".to_owned()], a);
    modules.insert(vec!["b".to_owned()], b);
    let graph = dependencies(&modules);
    assert_eq!(cycle_from(&graph, &["a".to_owned()]), Some(vec!["a".into(), "b".into(), "a".into()]));
    // Through the root's re-export: b names crate::Thing, which is a::Thing.
    modules
        .get_mut(&vec!["b".to_owned()])
        .unwrap()
        .imports
        .insert("Thing".to_owned(), vec!["crate".into(), "Thing".into()]);
    let graph = dependencies(&modules);
    assert!(cycle_from(&graph, &["a".to_owned()]).is_some());
}
