//! Share-link tokens. A share link carries a Biscuit token so that its holder
//! can narrow it offline (earlier expiry, fewer columns, fewer downloads...)
//! before passing it on, without asking the server. The server mints the
//! authority block; on every request it verifies the signature chain and
//! evaluates every block's checks against the facts of that request.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;

use biscuit_auth::builder::{
    Algorithm, AuthorizerBuilder, Binary, BlockBuilder, Fact, Op, Rule, Term, fact, int, string,
};
use biscuit_auth::error::{FailedCheck, Format, Logic, Token as BiscuitError};
use biscuit_auth::{Authorizer, AuthorizerLimits, Biscuit, KeyPair, PrivateKey, UnverifiedBiscuit};
use time::OffsetDateTime;

/// Longest encoded token accepted; longer ones are refused before decoding.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;
/// Facts the token's own rules may derive on top of those evaluation starts with.
const MAX_DERIVED_FACTS: u64 = 1_000;
const MAX_ITERATIONS: u64 = 16;
/// Wall-clock backstop. It is several times the work `MAX_EVALUATION_COST`
/// allows, so that a request descheduled on a busy machine is not refused.
const MAX_RUN_TIME: Duration = Duration::from_millis(20);
/// The engine reads its clock only between rule rounds and between checks, so one
/// wide join or runaway expression would escape `MAX_RUN_TIME`. Datalog whose
/// estimated cost (fact visits plus expression steps, about 0.1 µs each, so about
/// 5 ms in all) exceeds this is refused before it runs.
const MAX_EVALUATION_COST: u64 = 50_000;
/// Regular expressions are compiled anew at every evaluation.
const REGEX_COST: u64 = 300;
const ACCESS_POLICY: &str = "allow if link($id), level($l), operation($l)";

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token: {0}")]
    Malformed(String),
    #[error("token signature is invalid or the token was not issued by this server")]
    BadSignature,
    #[error("token is {len} bytes long, more than the {max} allowed")]
    TooLarge { len: usize, max: usize },
    #[error("access refused: {}", .reasons.join("; "))]
    Refused { reasons: Vec<String> },
    #[error("invalid root key: {0}")]
    InvalidKey(String),
    #[error("an attenuation must restrict at least one thing")]
    EmptyAttenuation,
    #[error("cannot build token: {0}")]
    Build(String),
}

impl From<BiscuitError> for TokenError {
    fn from(error: BiscuitError) -> Self {
        use BiscuitError::{Base64, Execution, FailedLogic, RunLimit};
        use Format::{SealedSignature, Signature, UnknownPublicKey};
        let reason = match error {
            BiscuitError::Format(Signature(_) | SealedSignature | UnknownPublicKey) => {
                return TokenError::BadSignature;
            }
            BiscuitError::Format(_) | Base64(_) | FailedLogic(Logic::InvalidBlockRule(..)) => {
                return TokenError::Malformed(error.to_string());
            }
            FailedLogic(
                Logic::Unauthorized { checks, .. } | Logic::NoMatchingPolicy { checks },
            ) => {
                let reasons = checks.iter().map(describe_failed_check).collect();
                return TokenError::Refused { reasons };
            }
            RunLimit(limit) => format!("evaluation limit reached: {limit}"),
            Execution(failure) => format!("evaluation failed: {failure}"),
            other => return TokenError::Build(other.to_string()),
        };
        let reasons = vec![reason];
        TokenError::Refused { reasons }
    }
}

fn describe_failed_check(check: &FailedCheck) -> String {
    match check {
        FailedCheck::Block(failed) => format!("block {}: {}", failed.block_id, failed.rule),
        FailedCheck::Authorizer(failed) => format!("server: {}", failed.rule),
    }
}

/// The server's root Ed25519 key pair.
pub struct TokenKeys {
    root: KeyPair,
}

impl TokenKeys {
    pub fn generate() -> Self {
        let root = KeyPair::new();
        Self { root }
    }

    pub fn from_private_hex(hex: &str) -> Result<Self, TokenError> {
        let private = PrivateKey::from_bytes_hex(hex.trim(), Algorithm::Ed25519)
            .map_err(|error| TokenError::InvalidKey(error.to_string()))?;
        let root = KeyPair::from(&private);
        Ok(Self { root })
    }

    pub fn private_hex(&self) -> String {
        self.root.private().to_bytes_hex()
    }

    pub fn public_hex(&self) -> String {
        self.root.public().to_bytes_hex()
    }
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let public = self.public_hex();
        f.debug_struct("TokenKeys")
            .field("public", &public)
            .finish_non_exhaustive()
    }
}

/// What a request does with the shared item. A link's level is one of these
/// and grants that operation only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// See the item's page, metadata and preview rows.
    View,
    /// Download the file.
    Download,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::View => "view",
            Operation::Download => "download",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "view" => Some(Operation::View),
            "download" => Some(Operation::Download),
            _ => None,
        }
    }
}

pub fn mint(keys: &TokenKeys, link_id: &str, level: Operation) -> Result<String, TokenError> {
    let token = Biscuit::builder()
        .fact(fact("link", &[string(link_id)]))?
        .fact(fact("level", &[string(level.as_str())]))?
        .build(&keys.root)?;
    within_size_limit(&token.to_base64()?).map(str::to_string)
}

/// Restrictions a holder adds to a token; fields left `None` restrict nothing.
#[derive(Default, Debug, Clone)]
pub struct Attenuation {
    pub expires_at: Option<OffsetDateTime>,
    pub operation: Option<Operation>,
    pub max_downloads: Option<u64>,
    pub columns: Option<Vec<String>>,
    pub formats: Option<Vec<String>>,
    pub version: Option<i64>,
}

impl Attenuation {
    /// `block_index` is the index the new block will have in the token.
    fn to_block(&self, block_index: usize) -> Result<BlockBuilder, TokenError> {
        let downloads = format!("check if block_downloads({block_index}, $n), $n < {{value}}");
        let expiry = self.expires_at.map(date);
        let operation = self.operation.map(|operation| string(operation.as_str()));
        let most_downloads = self.max_downloads.map(|max| int(saturating_i64(max)));
        let (columns, formats) = (self.columns.as_deref(), self.formats.as_deref());
        let (columns, formats) = (columns.map(strings), formats.map(strings));
        let checks = [
            ("check if time($t), $t <= {value}", expiry),
            ("check if operation({value})", operation),
            (downloads.as_str(), most_downloads),
            ("check all column($c), {value}.contains($c)", columns),
            ("check all format($f), {value}.contains($f)", formats),
            ("check if version({value})", self.version.map(int)),
        ];
        let checks: Vec<(&str, Term)> = checks
            .into_iter()
            .filter_map(|(source, value)| Some((source, value?)))
            .collect();
        if checks.is_empty() {
            return Err(TokenError::EmptyAttenuation);
        }
        let add = |block: BlockBuilder, (source, value): (&str, Term)| {
            let params = HashMap::from([("value".to_string(), value)]);
            block.code_with_params(source, params, HashMap::new())
        };
        Ok(checks.into_iter().try_fold(BlockBuilder::new(), add)?)
    }
}

/// Appends one block of checks; needs neither the root key nor any private key.
pub fn attenuate(token: &str, with: &Attenuation) -> Result<String, TokenError> {
    let parent = UnverifiedBiscuit::from_base64(within_size_limit(token)?)?;
    let block = with.to_block(parent.block_count())?;
    within_size_limit(&parent.append(block)?.to_base64()?).map(str::to_string)
}

/// What a token claims, read without checking its signatures.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub link_id: Option<String>,
    pub level: Option<String>,
    /// Datalog source of each block, authority first.
    pub blocks: Vec<String>,
    /// Hex revocation id of each block, authority first.
    pub revocation_ids: Vec<String>,
}

pub fn inspect(token: &str) -> Result<TokenInfo, TokenError> {
    let unverified = UnverifiedBiscuit::from_base64(within_size_limit(token)?)?;
    let blocks = (0..unverified.block_count())
        .map(|index| unverified.print_block_source(index))
        .collect::<Result<Vec<_>, _>>()?;
    let unreadable = |_| TokenError::Malformed("the authority block cannot be read".to_string());
    let authority = blocks.first().map_or("", String::as_str);
    let authority = biscuit_auth::parser::parse_block_source(authority).map_err(unreadable)?;
    let authority: Vec<Fact> = authority.facts.into_iter().map(|(_, f)| f.into()).collect();
    let only_string = |name: &str| {
        let mut found = authority.iter().filter(|fact| fact.predicate.name == name);
        match (
            found.next().map(|fact| &fact.predicate.terms[..]),
            found.next(),
        ) {
            (Some([Term::Str(value)]), None) => Some(value.clone()),
            _ => None,
        }
    };
    Ok(TokenInfo {
        link_id: only_string("link"),
        level: only_string("level"),
        blocks,
        revocation_ids: hex_ids(unverified.revocation_identifiers()),
    })
}

/// A token whose signature chain was checked against the root key.
#[derive(Debug)]
pub struct Presented {
    pub link_id: String,
    pub level: Operation,
    /// Hex revocation id of each block, authority first.
    pub revocation_ids: Vec<String>,
    /// Whether any block's Datalog reads `block_downloads`: then the download counts the
    /// checks ran against must still hold when the download takes its slot.
    pub reads_download_counts: bool,
    /// Whether any block's Datalog reads `column`: only then can some columns pass its checks
    /// where others fail.
    pub reads_columns: bool,
    token: Biscuit,
    token_fact_count: u64,
}

impl Presented {
    pub fn block_count(&self) -> usize {
        self.token.block_count()
    }
}

pub fn verify(keys: &TokenKeys, token: &str) -> Result<Presented, TokenError> {
    let token = Biscuit::from_base64(within_size_limit(token)?, keys.root.public())?;
    let token_fact_count = affordable_fact_count(&AuthorizerBuilder::new().build(&token)?)?;
    let limits = limits(token_fact_count);
    let mut authorizer = AuthorizerBuilder::new().set_limits(limits).build(&token)?;
    // Queries trust only the authority block and the authorizer, so facts
    // appended by holders cannot change the link or its level.
    let links: Vec<(String,)> = authorizer.query("found($id) <- link($id)")?;
    let levels: Vec<(String,)> = authorizer.query("found($level) <- level($level)")?;
    let ([(link_id,)], [(level,)]) = (&links[..], &levels[..]) else {
        let message = "the authority block needs one link and one level";
        return Err(TokenError::Malformed(message.to_string()));
    };
    let level = Operation::parse(level)
        .ok_or_else(|| TokenError::Malformed(format!("unknown level \"{level}\"")))?;
    // Read in the source, not guessed from the checks `attenuate` writes, so that a block
    // written by hand with ordinary Biscuit tooling is counted exactly too.
    let (mut reads_download_counts, mut reads_columns) = (false, false);
    for block in 1..token.block_count() {
        let source = token.print_block_source(block)?;
        reads_download_counts |= source.contains("block_downloads");
        reads_columns |= source.contains("column");
    }
    Ok(Presented {
        link_id: link_id.clone(),
        level,
        revocation_ids: hex_ids(token.revocation_identifiers()),
        reads_download_counts,
        reads_columns,
        token,
        token_fact_count,
    })
}

/// The request being authorized, as the server sees it.
pub struct AccessRequest<'a> {
    /// The link the request was addressed to; the token must be for this link.
    pub link_id: &'a str,
    pub now: OffsetDateTime,
    pub operation: Operation,
    /// Format of a download; `None` for a view.
    pub format: Option<&'a str>,
    /// Every column the response would reveal.
    pub columns: &'a [String],
    /// Dataset version served.
    pub version: i64,
    /// Entry `i - 1`: downloads under way or completed (slots taken) with tokens containing
    /// block `i`. A block without an entry fails its download limit.
    pub block_downloads: &'a [u64],
}

pub fn authorize(presented: &Presented, request: &AccessRequest) -> Result<(), TokenError> {
    let mut facts = vec![
        fact("time", &[date(request.now)]),
        fact("operation", &[string(request.operation.as_str())]),
        fact("version", &[int(request.version)]),
    ];
    let format = request
        .format
        .map(|format| fact("format", &[string(format)]));
    let columns = request
        .columns
        .iter()
        .map(|column| fact("column", &[string(column)]));
    facts.extend(format.into_iter().chain(columns));
    for (block, count) in (1..presented.block_count()).zip(request.block_downloads) {
        let (block, count) = (saturating_i64(block as u64), saturating_i64(*count));
        facts.push(fact("block_downloads", &[int(block), int(count)]));
    }
    let limits = limits(presented.token_fact_count + facts.len() as u64);
    let expected_link = HashMap::from([("link".to_string(), string(request.link_id))]);
    let source = format!("check if link({{link}}); {ACCESS_POLICY};");
    let builder = AuthorizerBuilder::new().set_limits(limits);
    let builder = builder.code_with_params(source, expected_link, HashMap::new())?;
    let builder = facts
        .into_iter()
        .try_fold(builder, AuthorizerBuilder::fact)?;
    let mut authorizer = builder.build(&presented.token)?;
    affordable_fact_count(&authorizer)?;
    authorizer
        .authorize()
        .map(drop)
        .map_err(|error| match error {
            BiscuitError::FailedLogic(Logic::NoMatchingPolicy { checks }) => {
                let mut reasons: Vec<String> = checks.iter().map(describe_failed_check).collect();
                let (operation, level) = (request.operation.as_str(), presented.level.as_str());
                let mismatch = format!("\"{operation}\" is not the link level \"{level}\"");
                reasons.push(format!("server: {ACCESS_POLICY} failed: {mismatch}"));
                TokenError::Refused { reasons }
            }
            other => other.into(),
        })
}

fn limits(starting_facts: u64) -> AuthorizerLimits {
    let (max_facts, max_iterations) = (starting_facts + MAX_DERIVED_FACTS, MAX_ITERATIONS);
    AuthorizerLimits {
        max_facts,
        max_iterations,
        max_time: MAX_RUN_TIME,
    }
}

/// Estimates the work of every rule, check and policy of a loaded, not yet run
/// authorizer; refuses it when too costly, else returns its starting fact count.
fn affordable_fact_count(authorizer: &Authorizer) -> Result<u64, TokenError> {
    let (facts, rules, checks, policies) = authorizer.dump();
    let mut candidates: HashMap<&str, u64> = HashMap::new();
    for known in &facts {
        *candidates.entry(&known.predicate.name).or_default() += 1;
    }
    let derived: HashSet<&str> = rules.iter().map(|rule| rule.head.name.as_str()).collect();
    for name in derived {
        *candidates.entry(name).or_default() += MAX_DERIVED_FACTS;
    }
    let derivable = if rules.is_empty() {
        0
    } else {
        MAX_DERIVED_FACTS
    };
    let world = facts.len() as u64 + derivable;
    let check_queries = checks.iter().flat_map(|check| &check.queries);
    let queries = check_queries.chain(policies.iter().flat_map(|policy| &policy.queries));
    let expressions = rules
        .iter()
        .chain(queries)
        .flat_map(|rule| &rule.expressions);
    let collections = expressions.map(|expression| largest_collection(&expression.ops));
    let fact_terms = facts.iter().flat_map(|known| &known.predicate.terms);
    let fanout = fact_terms
        .map(elements)
        .chain(collections)
        .fold(1, u64::max);
    // Each body predicate scans every fact once per combination bound so far.
    let cost = |rule: &Rule| {
        let (mut scans, mut combinations) = (0u64, 1u64);
        for predicate in &rule.body {
            scans = scans.saturating_add(combinations.saturating_mul(world));
            let matching = candidates.get(predicate.name.as_str()).copied();
            combinations = combinations.saturating_mul(matching.unwrap_or(1).max(1));
        }
        let steps = rule.expressions.iter().map(|e| ops_cost(&e.ops, fanout));
        scans.saturating_add(combinations.saturating_mul(steps.fold(1, u64::saturating_add)))
    };
    let too_costly = |what: String| {
        let reasons = vec![format!("{what} would cost more to evaluate than allowed")];
        TokenError::Refused { reasons }
    };
    if rules.iter().map(cost).fold(0, u64::saturating_add) > MAX_EVALUATION_COST {
        return Err(too_costly("the token's rules".to_string()));
    }
    let costly = |queries: &[Rule]| {
        queries
            .iter()
            .any(|query| cost(query) > MAX_EVALUATION_COST)
    };
    let check = checks
        .iter()
        .find(|check| costly(&check.queries))
        .map(|c| c.to_string());
    let policy = || {
        policies
            .iter()
            .find(|p| costly(&p.queries))
            .map(|p| p.to_string())
    };
    match check.or_else(policy) {
        Some(source) => Err(too_costly(format!("`{source}`"))),
        None => Ok(facts.len() as u64),
    }
}

fn ops_cost(ops: &[Op], fanout: u64) -> u64 {
    let op_cost = |(index, op): (usize, &Op)| match op {
        Op::Value(term) => term_cost(term),
        Op::Binary(Binary::Regex) => regex_cost(index.checked_sub(1).and_then(|i| ops.get(i))),
        Op::Closure(params, body) if params.is_empty() => 1 + ops_cost(body, fanout),
        Op::Closure(_, body) => fanout.saturating_mul(1 + ops_cost(body, fanout)),
        Op::Unary(_) | Op::Binary(_) => 1,
    };
    let costs = ops.iter().enumerate().map(op_cost);
    costs.fold(0, u64::saturating_add)
}

/// Bounded repetitions multiply a pattern's compiled size; a pattern only known
/// at evaluation time cannot be priced.
fn regex_cost(pattern: Option<&Op>) -> u64 {
    let Some(Op::Value(Term::Str(pattern))) = pattern else {
        return u64::MAX;
    };
    let bounds = pattern
        .split('{')
        .skip(1)
        .filter_map(|after| after.split('}').next());
    let largest = |bound: &str| bound.split(',').filter_map(|n| n.trim().parse().ok()).max();
    let repeats = bounds.map(|bound| largest(bound).unwrap_or(1).max(1));
    let repeats = repeats.fold(1, u64::saturating_mul);
    REGEX_COST.saturating_add(repeats.saturating_mul(4 * pattern.len() as u64))
}

fn largest_collection(ops: &[Op]) -> u64 {
    let size = |op: &Op| match op {
        Op::Value(term) => elements(term),
        Op::Closure(_, body) => largest_collection(body),
        Op::Unary(_) | Op::Binary(_) => 0,
    };
    ops.iter().map(size).fold(1, u64::max)
}

/// Elements a closure could iterate over in this term.
fn elements(term: &Term) -> u64 {
    let count = |items: &mut dyn Iterator<Item = &Term>| items.map(|item| 1 + elements(item)).sum();
    match term {
        Term::Set(items) => count(&mut items.iter()),
        Term::Array(items) => count(&mut items.iter()),
        Term::Map(entries) => count(&mut entries.values()),
        _ => 0,
    }
}

/// Rough cost of using a term, which the engine copies at every use.
fn term_cost(term: &Term) -> u64 {
    match term {
        Term::Str(text) => 1 + text.len() as u64 / 64,
        Term::Bytes(bytes) => 1 + bytes.len() as u64 / 64,
        other => 1 + elements(other) / 4,
    }
}

fn within_size_limit(token: &str) -> Result<&str, TokenError> {
    let (token, max) = (token.trim(), MAX_TOKEN_LEN);
    match token.len() {
        len if len > max => Err(TokenError::TooLarge { len, max }),
        _ => Ok(token),
    }
}

fn date(at: OffsetDateTime) -> Term {
    Term::Date(u64::try_from(at.unix_timestamp()).unwrap_or(0))
}

fn saturating_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn strings(values: &[String]) -> Term {
    let values: BTreeSet<Term> = values.iter().map(|value| string(value)).collect();
    Term::Set(values)
}

fn hex_ids(ids: Vec<Vec<u8>>) -> Vec<String> {
    ids.iter().map(hex::encode).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const LINK: &str = "lnk_42";
    const NOW: OffsetDateTime = datetime!(2030-01-01 12:00 UTC);
    const VIEW: Operation = Operation::View;
    const DOWNLOAD: Operation = Operation::Download;

    fn request<'a>(operation: Operation) -> AccessRequest<'a> {
        let format = (operation == DOWNLOAD).then_some("csv");
        let (link_id, now, version, columns, block_downloads) = (LINK, NOW, 1, &[][..], &[][..]);
        AccessRequest {
            link_id,
            now,
            operation,
            format,
            columns,
            version,
            block_downloads,
        }
    }

    fn check(keys: &TokenKeys, token: &str, request: &AccessRequest) -> Result<(), TokenError> {
        authorize(&verify(keys, token)?, request)
    }

    /// Asserts a refusal whose reasons mention `expected`.
    fn refused(result: Result<(), TokenError>, expected: &str) {
        match result {
            Err(TokenError::Refused { reasons }) => {
                assert!(reasons.iter().any(|r| r.contains(expected)), "{reasons:?}");
            }
            other => panic!("expected a refusal mentioning {expected}, got {other:?}"),
        }
    }

    fn narrow(token: &str, change: impl FnOnce(&mut Attenuation)) -> String {
        let mut with = Attenuation::default();
        change(&mut with);
        attenuate(token, &with).unwrap()
    }

    fn with_block(token: &str, source: &str) -> String {
        let block = BlockBuilder::new().code(source).unwrap();
        let token = UnverifiedBiscuit::from_base64(token).unwrap();
        token.append(block).unwrap().to_base64().unwrap()
    }

    #[test]
    fn level_grants_exactly_its_own_operation() {
        let keys = TokenKeys::generate();
        let view = mint(&keys, LINK, VIEW).unwrap();
        let presented = verify(&keys, &view).unwrap();
        assert_eq!((presented.link_id.as_str(), presented.level), (LINK, VIEW));
        authorize(&presented, &request(VIEW)).unwrap();
        let mismatch = "\"download\" is not the link level \"view\"";
        refused(authorize(&presented, &request(DOWNLOAD)), mismatch);

        let download = mint(&keys, LINK, DOWNLOAD).unwrap();
        check(&keys, &download, &request(DOWNLOAD)).unwrap();
        refused(
            check(&keys, &download, &request(VIEW)),
            "is not the link level",
        );

        let mut elsewhere = request(VIEW);
        elsewhere.link_id = "lnk_7";
        refused(
            check(&keys, &view, &elsewhere),
            "server: check if link(\"lnk_7\")",
        );
    }

    #[test]
    fn foreign_damaged_and_oversized_tokens_are_rejected() {
        let keys = TokenKeys::generate();
        let token = mint(&keys, LINK, VIEW).unwrap();
        let reloaded = TokenKeys::from_private_hex(&keys.private_hex()).unwrap();
        assert_eq!(reloaded.public_hex(), keys.public_hex());
        check(&reloaded, &token, &request(VIEW)).unwrap();

        let forged = mint(&TokenKeys::generate(), LINK, VIEW).unwrap();
        assert!(matches!(
            verify(&keys, &forged),
            Err(TokenError::BadSignature)
        ));

        let mut damaged = token.into_bytes();
        let middle = damaged.len() / 2;
        damaged[middle] = if damaged[middle] == b'A' { b'B' } else { b'A' };
        let result = verify(&keys, &String::from_utf8(damaged).unwrap());
        assert!(matches!(
            result,
            Err(TokenError::Malformed(_) | TokenError::BadSignature)
        ));

        let oversized = "A".repeat(MAX_TOKEN_LEN + 1);
        assert!(matches!(
            verify(&keys, &oversized),
            Err(TokenError::TooLarge { .. })
        ));
        assert!(matches!(
            inspect(&oversized),
            Err(TokenError::TooLarge { .. })
        ));
    }

    #[test]
    fn expiry_can_be_shortened_but_never_extended() {
        let keys = TokenKeys::generate();
        let token = mint(&keys, LINK, VIEW).unwrap();
        let short = narrow(&token, |a| {
            a.expires_at = Some(NOW + time::Duration::hours(1))
        });
        let mut later = request(VIEW);
        later.now = NOW + time::Duration::hours(2);
        check(&keys, &short, &request(VIEW)).unwrap();
        let expiry = "block 1: check if time($t), $t <= 2030-01-01T13:00:00Z";
        refused(check(&keys, &short, &later), expiry);

        let extended = narrow(&short, |a| {
            a.expires_at = Some(NOW + time::Duration::days(1))
        });
        check(&keys, &extended, &request(VIEW)).unwrap();
        refused(check(&keys, &extended, &later), expiry);
    }

    #[test]
    fn columns_are_limited_with_a_datalog_3_1_block() {
        let keys = TokenKeys::generate();
        let token = mint(&keys, LINK, VIEW).unwrap();
        let token = narrow(&token, |a| {
            a.columns = Some(vec!["age".into(), "site".into()])
        });
        let version = UnverifiedBiscuit::from_base64(&token)
            .unwrap()
            .block_version(1);
        assert_eq!(version.unwrap(), 4);

        let (subset, extra) = (["age".to_string()], ["age".to_string(), "name".to_string()]);
        let (mut narrow_request, mut wide_request) = (request(VIEW), request(VIEW));
        (narrow_request.columns, wide_request.columns) = (&subset, &extra);
        check(&keys, &token, &narrow_request).unwrap();
        let columns = "block 1: check all column($c), {\"age\", \"site\"}.contains($c)";
        refused(check(&keys, &token, &wide_request), columns);
    }

    #[test]
    fn formats_and_version_are_limited() {
        let keys = TokenKeys::generate();
        let token = mint(&keys, LINK, DOWNLOAD).unwrap();
        let csv_only = narrow(&token, |a| a.formats = Some(vec!["csv".into()]));
        check(&keys, &csv_only, &request(DOWNLOAD)).unwrap();
        let mut parquet = request(DOWNLOAD);
        parquet.format = Some("parquet");
        refused(
            check(&keys, &csv_only, &parquet),
            "block 1: check all format($f)",
        );

        let pinned = narrow(&csv_only, |a| a.version = Some(1));
        check(&keys, &pinned, &request(DOWNLOAD)).unwrap();
        let mut newer = request(DOWNLOAD);
        newer.version = 2;
        refused(
            check(&keys, &pinned, &newer),
            "block 2: check if version(1)",
        );
        refused(
            check(&keys, &pinned, &parquet),
            "block 1: check all format($f)",
        );
    }

    #[test]
    fn download_limit_holds_through_further_attenuation() {
        let keys = TokenKeys::generate();
        let token = mint(&keys, LINK, DOWNLOAD).unwrap();
        let limited = narrow(&token, |a| a.max_downloads = Some(2));
        let counted = |block_downloads| AccessRequest {
            block_downloads,
            ..request(DOWNLOAD)
        };
        check(&keys, &limited, &counted(&[1])).unwrap();
        let limit = "block 1: check if block_downloads(1, $n), $n < 2";
        refused(check(&keys, &limited, &counted(&[2])), limit);
        refused(check(&keys, &limited, &counted(&[])), limit);

        let relimited = narrow(&limited, |a| a.max_downloads = Some(10));
        let sources = inspect(&relimited).unwrap().blocks;
        assert!(sources[2].contains("check if block_downloads(2, $n), $n < 10"));
        check(&keys, &relimited, &counted(&[1, 1])).unwrap();
        refused(check(&keys, &relimited, &counted(&[2, 0])), limit);
    }

    #[test]
    fn tokens_that_read_download_counts_are_known() {
        let keys = TokenKeys::generate();
        let token = mint(&keys, LINK, DOWNLOAD).unwrap();
        assert!(!verify(&keys, &token).unwrap().reads_download_counts);
        assert!(!verify(&keys, &token).unwrap().reads_columns);
        let columns = narrow(&token, |a| a.columns = Some(vec!["age".into()]));
        assert!(!verify(&keys, &columns).unwrap().reads_download_counts);
        assert!(verify(&keys, &columns).unwrap().reads_columns);
        let limited = narrow(&columns, |a| a.max_downloads = Some(1));
        assert!(verify(&keys, &limited).unwrap().reads_download_counts);
        let by_hand = with_block(&token, "check if block_downloads(1, $n), $n <= 3");
        assert!(verify(&keys, &by_hand).unwrap().reads_download_counts);
    }

    #[test]
    fn inspection_and_attenuation_need_no_key() {
        let keys = TokenKeys::generate();
        let token = mint(&keys, LINK, DOWNLOAD).unwrap();
        let empty = attenuate(&token, &Attenuation::default());
        assert!(matches!(empty, Err(TokenError::EmptyAttenuation)));
        let narrowed = narrow(&token, |a| a.operation = Some(VIEW));

        let info = inspect(&narrowed).unwrap();
        let claims = (info.link_id.as_deref(), info.level.as_deref());
        assert_eq!(claims, (Some(LINK), Some("download")));
        assert_eq!(info.blocks.len(), 2);
        assert!(info.blocks[0].contains("link(\"lnk_42\")"));
        assert!(info.blocks[1].contains("check if operation(\"view\")"));

        let presented = verify(&keys, &narrowed).unwrap();
        assert_eq!(presented.block_count(), 2);
        assert_eq!(presented.revocation_ids, info.revocation_ids);
        let operation = "block 1: check if operation(\"view\")";
        refused(authorize(&presented, &request(DOWNLOAD)), operation);
    }

    #[test]
    fn hand_written_blocks_are_enforced_and_cannot_raise_the_level() {
        let keys = TokenKeys::generate();
        let token = mint(&keys, LINK, VIEW).unwrap();
        let claims = r#"link("lnk_7"); level("download"); operation("download");"#;
        let escalated = with_block(&token, claims);
        let presented = verify(&keys, &escalated).unwrap();
        assert_eq!((presented.link_id.as_str(), presented.level), (LINK, VIEW));
        authorize(&presented, &request(VIEW)).unwrap();
        let mismatch = "is not the link level";
        refused(authorize(&presented, &request(DOWNLOAD)), mismatch);
        let mut elsewhere = request(VIEW);
        elsewhere.link_id = "lnk_7";
        refused(
            authorize(&presented, &elsewhere),
            "server: check if link(\"lnk_7\")",
        );

        let blocked = with_block(&escalated, r#"check if operation("nope")"#);
        let nope = "block 2: check if operation(\"nope\")";
        refused(check(&keys, &blocked, &request(VIEW)), nope);
    }

    #[test]
    fn runaway_datalog_is_refused_quickly() {
        let keys = TokenKeys::generate();
        let token = mint(&keys, LINK, VIEW).unwrap();
        let numbers = |count: usize| (0..count).map(|n| format!("n({n});")).collect::<String>();
        let started = std::time::Instant::now();

        let flood = format!("{} pair($a, $b) <- n($a), n($b);", numbers(40));
        let flood = with_block(&token, &flood);
        refused(
            check(&keys, &flood, &request(VIEW)),
            "evaluation limit reached",
        );

        let ten = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]";
        let loops = (0..5).fold("true".to_string(), |body, n| {
            format!("{ten}.all($v{n} -> {body})")
        });
        let costly = [
            format!(
                "{} check if n($a), n($b), n($c), $a + $b + $c < 0;",
                numbers(300)
            ),
            format!("check if {loops}"),
            r#"check if "abc".matches("[a-z]{1000}{1000}")"#.to_string(),
            r#"check if "abc".matches("[a-z]" + "+")"#.to_string(),
        ];
        for source in costly {
            let costly = with_block(&token, &source);
            refused(
                check(&keys, &costly, &request(VIEW)),
                "would cost more to evaluate",
            );
        }
        let pattern = r#"check if "public_age".matches("^public_[a-z]+$")"#;
        check(&keys, &with_block(&token, pattern), &request(VIEW)).unwrap();
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    }
}
