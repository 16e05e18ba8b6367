"""Problems found in rule files, with messages in English and Simplified Chinese.

A problem has a position, a code and parameters. The words live in `MESSAGES`:
for each code, per language, what is wrong and how to fix it. `Problem.render`
prints the ``file:line:column`` header, the offending line and a caret under
the column, the way compilers do.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from rca.errors import KnowledgeBaseError

# code -> language -> (what is wrong, how to fix it)
MESSAGES: dict[str, dict[str, tuple[str, str]]] = {
    "unreadable-file": {
        "en": ("cannot read the rule file: {reason}",
               "check that the file exists and is readable, and that it is UTF-8 text"),
        "zh-CN": ("无法读取规则文件：{reason}",
                  "确认文件存在且可读，并且是 UTF-8 文本"),
    },
    "unexpected-end": {
        "en": ("the file ends inside a block: a closing '}}' is missing",
               "close every 'cause ... {{' and 'unknown {{' block with '}}'"),
        "zh-CN": ("文件在代码块内部结束：缺少右花括号 '}}'",
                  "为每个 'cause ... {{' 和 'unknown {{' 代码块补上 '}}'"),
    },
    "unclosed-block": {
        "en": ("this block is not closed: a '}}' is missing before the next 'cause' or 'unknown'",
               "add the closing '}}' at the end of the block"),
        "zh-CN": ("此代码块没有结束：在下一个 'cause' 或 'unknown' 之前缺少 '}}'",
                  "在代码块末尾补上 '}}'"),
    },
    "cause-id-expected": {
        "en": ("expected a cause id such as 'network.dns' after 'cause', found {found}",
               "write the id as area.name in lower case, with exactly one dot: "
               "cause network.dns {{"),
        "zh-CN": ("'cause' 之后应为原因编号（如 'network.dns'），实际为 {found}",
                  "编号写作 领域.名称，小写，恰好一个点：cause network.dns {{"),
    },
    "top-level-statement": {
        "en": ("expected 'cause' or 'unknown' at the top level, found {found}",
               "put titles, rules, fixes and examples inside a 'cause area.name {{ ... }}' block"),
        "zh-CN": ("顶层只能出现 'cause' 或 'unknown'，实际为 {found}",
                  "标题、规则、修复和示例都应写在 'cause 领域.名称 {{ ... }}' 代码块内"),
    },
    "unknown-statement": {
        "en": ("{found} does not start a statement inside a cause block",
               "a statement starts with one of: title, explanation, severity, remedy, "
               "outranks, rule, extract, fix, reference, example; or the block ends with '}}'"),
        "zh-CN": ("{found} 不是 cause 代码块中的语句开头",
                  "语句应以下列关键字之一开头：title、explanation、severity、remedy、"
                  "outranks、rule、extract、fix、reference、example；或用 '}}' 结束代码块"),
    },
    "language-expected": {
        "en": ("expected a language tag (en or zh-CN) before the text, found {found}",
               'write the language first, then the quoted text: title en "Host name not found"'),
        "zh-CN": ("文本之前应为语言标记（en 或 zh-CN），实际为 {found}",
                  '先写语言，再写带引号的文本：title zh-CN "无法解析主机名"'),
    },
    "string-expected": {
        "en": ("expected a quoted string, found {found}",
               'put the text in double quotes, or in """triple quotes""" when it spans lines'),
        "zh-CN": ("此处应为带引号的字符串，实际为 {found}",
                  '用双引号括起文本；跨行的文本用 """三个引号""" 括起'),
    },
    "unterminated-string": {
        "en": ("the string starting here is not closed on this line",
               'end it with a double quote, escape inner quotes as \\", '
               'or use """triple quotes""" for text over several lines'),
        "zh-CN": ("从此处开始的字符串在本行没有结束",
                  '用双引号结束它，内部的引号写作 \\"，多行文本请用 """三个引号"""'),
    },
    "unterminated-regex": {
        "en": ("the regular expression starting here has no closing '/'",
               "end the pattern with '/', and write a '/' inside it as '\\/'"),
        "zh-CN": ("从此处开始的正则表达式缺少结尾的 '/'",
                  "用 '/' 结束模式，模式内部的 '/' 写作 '\\/'"),
    },
    "regex-expected": {
        "en": ("expected a regular expression in slashes after '~', found {found}",
               "write the pattern between slashes: message ~ /no such host/ "
               "(use 'contains' for plain text)"),
        "zh-CN": ("'~' 之后应为斜杠括起的正则表达式，实际为 {found}",
                  "把模式写在两个斜杠之间：message ~ /no such host/（普通文本请用 contains）"),
    },
    "operator-expected": {
        "en": ("expected an operator after the field name, found {found}",
               "use one of =, !=, in [...], contains, icontains, ~ /.../: "
               'message contains "refused"'),
        "zh-CN": ("字段名之后应为运算符，实际为 {found}",
                  "可用运算符：=、!=、in [...]、contains、icontains、~ /.../，"
                  '例如 message contains "refused"'),
    },
    "value-expected": {
        "en": ("expected a value after the operator, found {found}",
               'compare with a quoted string, a word or a number: kind = audit, message = "x"; '
               "'=' is written once, not '=='"),
        "zh-CN": ("运算符之后应为一个值，实际为 {found}",
                  '与带引号的字符串、单词或数字比较：kind = audit、message = "x"；'
                  "等号只写一个，不是 '=='"),
    },
    "text-after-contains": {
        "en": ("expected a quoted string after 'contains' or 'icontains', found {found}",
               'write the text in double quotes: message icontains "permission denied"; '
               "for a pattern use ~ /.../"),
        "zh-CN": ("'contains' 或 'icontains' 之后应为带引号的字符串，实际为 {found}",
                  '把文本写在双引号中：message icontains "permission denied"；'
                  "模式匹配请用 ~ /.../"),
    },
    "list-expected": {
        "en": ("expected a list in square brackets after 'in', found {found}",
               "write the values as a list: kind in [audit, journald]"),
        "zh-CN": ("'in' 之后应为方括号括起的列表，实际为 {found}",
                  "把多个值写成列表：kind in [audit, journald]"),
    },
    "unclosed-list": {
        "en": ("the list is not closed, found {found}",
               "separate values with commas and end the list with ']': level in [error, critical]"),
        "zh-CN": ("列表没有结束，实际为 {found}",
                  "值之间用逗号分隔，并以 ']' 结束：level in [error, critical]"),
    },
    "condition-expected": {
        "en": ("expected a condition, found {found}",
               'a condition is FIELD OPERATOR VALUE, joined with and, or, not and '
               'parentheses: message contains "denied" and kind = audit'),
        "zh-CN": ("此处应为条件，实际为 {found}",
                  '条件写作 字段 运算符 值，可用 and、or、not 和括号组合：'
                  'message contains "denied" and kind = audit'),
    },
    "when-expected": {
        "en": ("expected 'when' and a condition after the rule name, found {found}",
               "write: rule NAME when CONDITION, for example "
               'rule go_lookup when message contains "no such host"'),
        "zh-CN": ("规则名之后应为 'when' 和条件，实际为 {found}",
                  "写作：rule 名称 when 条件，例如 "
                  'rule go_lookup when message contains "no such host"'),
    },
    "rule-name-expected": {
        "en": ("expected a rule name after 'rule', found {found}",
               "name the rule in lower case with underscores: rule go_lookup when ..."),
        "zh-CN": ("'rule' 之后应为规则名，实际为 {found}",
                  "规则名用小写字母和下划线：rule go_lookup when ..."),
    },
    "boolean-word": {
        "en": ("'&', '|' and '!' are not operators here; found {found}",
               "join conditions with the words and, or, not: "
               'message contains "a" and not message contains "b"'),
        "zh-CN": ("此处不能用 '&'、'|'、'!' 作运算符；实际为 {found}",
                  "用单词 and、or、not 组合条件："
                  'message contains "a" and not message contains "b"'),
    },
    "stray-word": {
        "en": ("{found} cannot follow a complete condition",
               "join two conditions with 'and' or 'or', put a value that has spaces in quotes, "
               "or start a new statement (rule, fix, example...)"),
        "zh-CN": ("完整的条件之后不能出现 {found}",
                  "用 'and' 或 'or' 连接两个条件，把含空格的值放进引号，"
                  "或者开始一条新语句（rule、fix、example……）"),
    },
    "unclosed-paren": {
        "en": ("a '(' is not closed before {found}",
               "add the missing ')' after the grouped conditions"),
        "zh-CN": ("在 {found} 之前有未闭合的 '('",
                  "在分组条件之后补上缺少的 ')'"),
    },
    "duration-expected": {
        "en": ("expected a duration with a unit after 'within', found {found}",
               "write a number with ms, s, m or h: within 30s before"),
        "zh-CN": ("'within' 之后应为带单位的时长，实际为 {found}",
                  "写作数字加 ms、s、m 或 h：within 30s before"),
    },
    "scope-expected": {
        "en": ("expected 'on same node' or 'in same transaction', found {found}",
               'write the scope in full: with kind = audit on same node within 5s before'),
        "zh-CN": ("此处应为 'on same node' 或 'in same transaction'，实际为 {found}",
                  '完整写出范围：with kind = audit on same node within 5s before'),
    },
    "expectation-expected": {
        "en": ("expected 'match' or 'nomatch' after 'example', found {found}",
               "say whether the line must be recognized: "
               'example match "..." or example nomatch "..."'),
        "zh-CN": ("'example' 之后应为 'match' 或 'nomatch'，实际为 {found}",
                  '说明该行是否应被识别：example match "..." 或 example nomatch "..."'),
    },
    "number-expected": {
        "en": ("expected a number between 0 and 1 after 'confidence', found {found}",
               "write the confidence as a decimal number: confidence 0.6"),
        "zh-CN": ("'confidence' 之后应为 0 到 1 之间的数，实际为 {found}",
                  "用小数写置信度：confidence 0.6"),
    },
    "syntax": {
        "en": ("unexpected {found}; expected {expected}",
               "compare the line with the examples in the knowledge-base documentation"),
        "zh-CN": ("意外的 {found}；此处应为 {expected}",
                  "对照知识库文档中的示例检查这一行"),
    },
    "bad-language": {
        "en": ("unknown language '{value}'",
               "write texts in en and zh-CN"),
        "zh-CN": ("未知的语言 '{value}'",
                  "文本使用 en 和 zh-CN 两种语言"),
    },
    "missing-text": {
        "en": ("cause {cause} has no {what} in {lang}",
               "add a '{what} {lang} \"...\"' statement; every text exists in en and zh-CN"),
        "zh-CN": ("原因 {cause} 缺少 {lang} 的 {what}",
                  "添加 '{what} {lang} \"...\"' 语句；每段文本都需要 en 和 zh-CN 两种语言"),
    },
    "duplicate-text": {
        "en": ("cause {cause} has a second {what} in {lang}",
               "keep one {what} per language; adjacent strings are joined, "
               "so split long text that way"),
        "zh-CN": ("原因 {cause} 的 {lang} {what} 重复",
                  "每种语言只保留一个 {what}；相邻的字符串会被连接，长文本可以这样拆分"),
    },
    "duplicate-cause": {
        "en": ("cause {cause} is declared again (first at {first})",
               "merge the two blocks or rename one of them"),
        "zh-CN": ("原因 {cause} 重复声明（首次声明于 {first}）",
                  "合并这两个代码块，或给其中一个改名"),
    },
    "duplicate-rule": {
        "en": ("cause {cause} has two rules named {rule}",
               "give each rule of a cause its own name"),
        "zh-CN": ("原因 {cause} 中有两条名为 {rule} 的规则",
                  "同一原因中的每条规则使用不同的名称"),
    },
    "bad-severity": {
        "en": ("unknown severity '{value}'",
               "use one of: critical, error, warning"),
        "zh-CN": ("未知的严重程度 '{value}'",
                  "可用值：critical、error、warning"),
    },
    "bad-remedy": {
        "en": ("unknown remedy class '{value}'",
               "use 'auto' when the fix is safe to automate, 'manual' when a person must decide"),
        "zh-CN": ("未知的修复类别 '{value}'",
                  "修复可以安全地自动执行时用 'auto'，需要人工决定时用 'manual'"),
    },
    "no-rules": {
        "en": ("cause {cause} has no rule",
               "add at least one 'rule NAME when CONDITION'"),
        "zh-CN": ("原因 {cause} 没有任何规则",
                  "至少添加一条 'rule 名称 when 条件'"),
    },
    "unknown-field": {
        "en": ("unknown field '{value}'",
               "use message, raw, kind, level, node, unit, type, transaction or fields.NAME"),
        "zh-CN": ("未知字段 '{value}'",
                  "可用字段：message、raw、kind、level、node、unit、type、transaction "
                  "或 fields.名称"),
    },
    "unknown-field-close": {
        "en": ("unknown field '{value}'",
               "did you mean '{close}'? Fields: message, raw, kind, level, node, unit, type, "
               "transaction, fields.NAME"),
        "zh-CN": ("未知字段 '{value}'",
                  "是否想写 '{close}'？可用字段：message、raw、kind、level、node、unit、type、"
                  "transaction、fields.名称"),
    },
    "bad-kind": {
        "en": ("unknown source kind '{value}'",
               "use one of: installer, audit, journald, syslog, tool-output"),
        "zh-CN": ("未知的来源类型 '{value}'",
                  "可用值：installer、audit、journald、syslog、tool-output"),
    },
    "bad-level": {
        "en": ("unknown level '{value}'",
               "use one of: debug, info, notice, warning, error, critical"),
        "zh-CN": ("未知的级别 '{value}'",
                  "可用值：debug、info、notice、warning、error、critical"),
    },
    "empty-text": {
        "en": ("the text to look for is empty",
               "give the words to look for, or remove the test"),
        "zh-CN": ("要查找的文本为空",
                  "写出要查找的文字，或删除这个条件"),
    },
    "bad-regex": {
        "en": ("invalid regular expression: {reason}",
               "fix the pattern; the caret points at the place Python's re module rejected"),
        "zh-CN": ("无效的正则表达式：{reason}",
                  "修正该模式；插入符号指向 Python re 模块报错的位置"),
    },
    "unportable-lookaround": {
        "en": ("the pattern uses look-around, which Loki (RE2) cannot run",
               "rewrite it without (?=, (?!, (?<= and (?<!, or split it into two conditions "
               "joined with 'and' (with 'not' for a negative look-around)"),
        "zh-CN": ("该模式使用了环视，Loki（RE2）无法执行",
                  "去掉 (?=、(?!、(?<=、(?<! 重写该模式，或拆成用 'and' 连接的两个条件"
                  "（否定环视改用 'not'）"),
    },
    "unportable-backreference": {
        "en": ("the pattern uses a back-reference, which Loki (RE2) cannot run",
               "rewrite it without \\1 or (?P=name)"),
        "zh-CN": ("该模式使用了反向引用，Loki（RE2）无法执行",
                  "去掉 \\1 或 (?P=name) 重写该模式"),
    },
    "bad-regex-flag": {
        "en": ("unknown regular-expression flag '{value}'",
               "the only flag is 'i' (ignore case): /no such host/i"),
        "zh-CN": ("未知的正则表达式标志 '{value}'",
                  "只支持标志 'i'（忽略大小写）：/no such host/i"),
    },
    "extract-without-group": {
        "en": ("the extract pattern has no named group",
               "name what it takes: extract message ~ /profile=\"(?P<profile>[^\"]+)\"/"),
        "zh-CN": ("extract 的模式中没有命名分组",
                  "为要提取的值命名：extract message ~ /profile=\"(?P<profile>[^\"]+)\"/"),
    },
    "bad-confidence": {
        "en": ("confidence {value} is outside 0 to 1",
               "use a number above 0 and at most 1: confidence 0.6"),
        "zh-CN": ("置信度 {value} 不在 0 到 1 之间",
                  "使用大于 0 且不超过 1 的数：confidence 0.6"),
    },
    "unknown-placeholder": {
        "en": ("the text uses {{{name}}}, which no rule or extract of {cause} captures",
               "capture it with a named group (?P<{name}>...) in a rule or an extract, "
               "or use one of: {known}"),
        "zh-CN": ("文本使用了 {{{name}}}，但 {cause} 的规则和 extract 都没有捕获它",
                  "在规则或 extract 中用命名分组 (?P<{name}>...) 捕获它，或改用：{known}"),
    },
    "unknown-cause-ref": {
        "en": ("'outranks' names {value}, which no loaded rule file declares",
               "check the spelling of the cause id, or load the file that declares it"),
        "zh-CN": ("'outranks' 引用了 {value}，但已加载的规则文件中没有声明它",
                  "检查原因编号的拼写，或加载声明它的文件"),
    },
    "self-outrank": {
        "en": ("cause {cause} outranks itself",
               "remove {cause} from its own 'outranks' list"),
        "zh-CN": ("原因 {cause} 的 outranks 中包含自己",
                  "从 'outranks' 列表中删除 {cause}"),
    },
    "outranks-cycle": {
        "en": ("the 'outranks' declarations form a cycle: {cycle}",
               "decide which cause wins and remove one 'outranks' in the cycle"),
        "zh-CN": ("'outranks' 声明形成了循环：{cycle}",
                  "决定哪个原因优先，并删除循环中的一个 'outranks'"),
    },
    "example-missed": {
        "en": ("example for {cause} was diagnosed as {got}",
               "extend a rule of {cause} to cover this wording, or correct the example"),
        "zh-CN": ("{cause} 的正例被诊断为 {got}",
                  "扩展 {cause} 的规则以覆盖这种写法，或修正这个示例"),
    },
    "example-false-match": {
        "en": ("counter-example for {cause} was diagnosed as {cause} by {rule}",
               "narrow that rule, or declare which cause outranks it"),
        "zh-CN": ("{cause} 的反例被 {rule} 诊断为 {cause}",
                  "收窄该规则，或声明哪个原因比它优先"),
    },
    "unknown-example-matched": {
        "en": ("example of an unknown cause was diagnosed as {got} by {rule}",
               "narrow that rule so it leaves this line alone, "
               "or move the line to {got}'s examples"),
        "zh-CN": ("未知原因的示例被 {rule} 诊断为 {got}",
                  "收窄该规则使其不匹配这一行，或把这一行移到 {got} 的示例中"),
    },
}

SEVERITY_WORD = {"en": "error", "zh-CN": "错误"}
HINT_WORD = {"en": "how to fix", "zh-CN": "修改方法"}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a rule file. `line` 0 means the whole file."""

    path: str
    line: int
    column: int
    code: str
    params: dict[str, str] = field(default_factory=dict)
    source_line: str = ""

    def message(self, lang: str = "en") -> str:
        return _text(self.code, lang, 0).format(**self.params)

    def hint(self, lang: str = "en") -> str:
        return _text(self.code, lang, 1).format(**self.params)

    def render(self, lang: str = "en") -> str:
        """Format as ``file:line:column: error: ...``, the line with a caret, and the fix."""
        where = self.path if self.line <= 0 else f"{self.path}:{self.line}:{self.column}"
        severity = SEVERITY_WORD.get(lang, SEVERITY_WORD["en"])
        separator = "：" if lang == "zh-CN" else ": "
        lines = [f"{where}: {severity}{separator}{self.message(lang)}"]

        if self.line > 0 and self.source_line:
            gutter = f"{self.line:>5} | "
            lines.append(gutter + self.source_line.rstrip("\n").expandtabs(4))
            padding = _caret_padding(self.source_line, self.column)
            lines.append(" " * (len(gutter) - 2) + "| " + padding + "^")

        lines.append(f"  {HINT_WORD.get(lang, HINT_WORD['en'])}{separator}{self.hint(lang)}")
        return "\n".join(lines)


def _text(code: str, lang: str, index: int) -> str:
    texts = MESSAGES[code]
    return texts.get(lang, texts["en"])[index]


def _caret_padding(source_line: str, column: int) -> str:
    """Spaces up to `column`, counting wide (CJK) characters as two cells."""
    prefix = source_line[: max(column - 1, 0)].expandtabs(4)
    return "".join("  " if _is_wide(char) else " " for char in prefix)


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


class RuleFileError(KnowledgeBaseError):
    """One or more rule files are invalid; `problems` lists every problem found.

    ``str()`` gives the English text; `render` gives one language.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self.render("en"))

    def localized(self, lang: str) -> str:
        return self.render(lang)

    def render(self, lang: str = "en") -> str:
        return "\n\n".join(problem.render(lang) for problem in self.problems)
