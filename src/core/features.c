/* Measurable principles (see features.h; definitions in docs/icai.md).
 *
 * Words are maximal runs of ASCII letters and digits, compared in ASCII lower case;
 * everything else is a separator, so the definitions do not depend on the locale
 * and an independent implementation can reproduce them exactly. */
#include "core/features.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "core/xalloc.h"

static const char *const vote_names[ICAI_NVOTES] = {"A", "B", "both", "neither", "invalid"};

const char *
icai_vote_name(int vote)
{
    return vote >= 0 && vote < ICAI_NVOTES ? vote_names[vote] : "invalid";
}

int
icai_vote_parse(const char *s)
{
    for (int i = 0; s && i < ICAI_NVOTES; i++)
        if (strcmp(s, vote_names[i]) == 0)
            return i;
    return -1;
}

static const char *const feat_names[] = {
#define PS_FEAT_NAME(id, name, text) name,
    PS_FEATURES(PS_FEAT_NAME)
#undef PS_FEAT_NAME
};
static const char *const feat_texts[] = {
#define PS_FEAT_TEXT(id, name, text) text,
    PS_FEATURES(PS_FEAT_TEXT)
#undef PS_FEAT_TEXT
};

const char *
features_name(int id)
{
    return id >= 0 && id < FEAT__COUNT ? feat_names[id] : NULL;
}

const char *
features_principle(int id)
{
    return id >= 0 && id < FEAT__COUNT ? feat_texts[id] : NULL;
}

int
features_find(const char *name)
{
    for (int i = 0; name && i < FEAT__COUNT; i++)
        if (strcmp(name, feat_names[i]) == 0)
            return i;
    return -1;
}

static int
is_word(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static unsigned char
lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* FNV-1a of the lower-cased word. */
static uint64_t
word_hash(const char *w, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ lower((unsigned char)w[i])) * 1099511628211ULL;
    return h;
}

/* Slot of word w (lower-cased compare) in the table: its slot, or the empty one. */
static size_t
prompt_slot(const struct feat_prompt *p, const char *w, size_t n)
{
    size_t i = (size_t)(word_hash(w, n) & (p->cap - 1));
    while (p->words[i]) {
        const char *s = p->words[i];
        size_t k = 0;
        while (k < n && s[k] && s[k] == (char)lower((unsigned char)w[k]))
            k++;
        if (k == n && !s[n])
            return i;
        i = (i + 1) & (p->cap - 1);
    }
    return i;
}

/* Prompt words shorter than this are ignored by the overlap (a, is, of, ...). */
enum { OVERLAP_MIN_LEN = 3 };

void
features_prompt_init(struct feat_prompt *p, const char *prompt)
{
    memset(p, 0, sizeof *p);
    size_t words = 0, len = prompt ? strlen(prompt) : 0;
    for (size_t i = 0; i < len; i++)
        words +=
            is_word((unsigned char)prompt[i]) && (i == 0 || !is_word((unsigned char)prompt[i - 1]));
    p->cap = 16;
    while (p->cap < 2 * words + 2)
        p->cap *= 2;
    p->words = xcalloc(p->cap, sizeof *p->words);
    p->stamp = xcalloc(p->cap, sizeof *p->stamp);
    for (size_t i = 0; i < len;) {
        if (!is_word((unsigned char)prompt[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && is_word((unsigned char)prompt[j]))
            j++;
        if (j - i >= OVERLAP_MIN_LEN) {
            size_t slot = prompt_slot(p, prompt + i, j - i);
            if (!p->words[slot]) {
                char *w = xstrndup(prompt + i, j - i);
                for (char *c = w; *c; c++)
                    *c = (char)lower((unsigned char)*c);
                p->words[slot] = w;
                p->n++;
            }
        }
        i = j;
    }
}

void
features_prompt_free(struct feat_prompt *p)
{
    for (size_t i = 0; i < p->cap; i++)
        free(p->words[i]);
    free(p->words);
    free(p->stamp);
    memset(p, 0, sizeof *p);
}

static int
word_is(const char *w, size_t n, const char *lit)
{
    size_t k = 0;
    for (; k < n && lit[k]; k++)
        if ((char)lower((unsigned char)w[k]) != lit[k])
            return 0;
    return k == n && !lit[k];
}

static int
word_in(const char *w, size_t n, const char *const *set)
{
    for (; *set; set++)
        if (word_is(w, n, *set))
            return 1;
    return 0;
}

static const char *const first_person[] = {"i", "me", "my", "mine", "myself", NULL};
static const char *const second_person[] = {"you", "your", "yours", "yourself", "yourselves", NULL};
static const char *const hedges[] = {"might",    "may",      "perhaps",   "possibly",  "probably",
                                     "maybe",    "likely",   "unlikely",  "generally", "typically",
                                     "usually",  "often",    "sometimes", "seems",     "seem",
                                     "somewhat", "arguably", "depends",   NULL};
/* Matched as substrings of the text in ASCII lower case, with U+2019 read as an
 * apostrophe. */
static const char *const refusals[] = {"i can't",
                                       "i cannot",
                                       "i can not",
                                       "i won't",
                                       "i will not",
                                       "i'm sorry",
                                       "i am sorry",
                                       "i apologize",
                                       "i'm not able to",
                                       "i am not able to",
                                       "i'm unable to",
                                       "i am unable to",
                                       "as an ai",
                                       "i must decline",
                                       "i'm not comfortable",
                                       "i am not comfortable",
                                       "i don't feel comfortable",
                                       "can't help with",
                                       "cannot help with",
                                       "can't assist",
                                       "cannot assist",
                                       NULL};

static int
syllables(const char *w, size_t n)
{
    int count = 0, in_vowel = 0;
    for (size_t i = 0; i < n; i++) {
        char c = (char)lower((unsigned char)w[i]);
        int v = strchr("aeiouy", c) != NULL && c;
        if (v && !in_vowel)
            count++;
        in_vowel = v;
    }
    if (n && lower((unsigned char)w[n - 1]) == 'e' && count > 1)
        count--;
    return count ? count : 1;
}

static int
is_blank_char(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Line-start features: list item, header, code fence. */
static void
measure_line(const char *s, size_t n, double *out, int *fences)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    const char *t = s + i;
    size_t m = n - i;
    if (m >= 2 && (t[0] == '-' || t[0] == '*' || t[0] == '+') && (t[1] == ' ' || t[1] == '\t'))
        out[FEAT_LIST_ITEMS]++;
    else if (m >= 4 && memcmp(t, "\xe2\x80\xa2", 3) == 0 && (t[3] == ' ' || t[3] == '\t'))
        out[FEAT_LIST_ITEMS]++;
    else if (m && t[0] >= '0' && t[0] <= '9') {
        size_t k = 0;
        while (k < m && t[k] >= '0' && t[k] <= '9')
            k++;
        if (k + 1 < m && (t[k] == '.' || t[k] == ')') && (t[k + 1] == ' ' || t[k + 1] == '\t'))
            out[FEAT_LIST_ITEMS]++;
    }
    size_t h = 0;
    while (h < m && t[h] == '#')
        h++;
    if (h >= 1 && h <= 6 && h < m && (t[h] == ' ' || t[h] == '\t'))
        out[FEAT_HEADERS]++;
    if (m >= 3 && (memcmp(t, "```", 3) == 0 || memcmp(t, "~~~", 3) == 0))
        (*fences)++;
}

static size_t
count_sub(const char *hay, const char *needle)
{
    size_t n = 0, k = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + k, needle))
        n++;
    return n;
}

void
features_measure(struct feat_prompt *p, const char *text, double *out)
{
    for (int i = 0; i < FEAT__COUNT; i++)
        out[i] = 0;
    if (!text)
        text = "";
    size_t len = strlen(text);
    /* characters, punctuation and emoji */
    double chars = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        int k = utf8_decode(text + i, len - i, &cp);
        chars++;
        if (cp == '!')
            out[FEAT_EXCLAMATIONS]++;
        else if (cp == '?')
            out[FEAT_QUESTION] = 1;
        else if ((cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF))
            out[FEAT_EMOJI]++;
        i += (size_t)k;
    }
    out[FEAT_LONGER] = out[FEAT_SHORTER] = chars;
    /* lines and paragraphs */
    int fences = 0, in_para = 0;
    for (size_t i = 0; i <= len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - text) : len;
        int blank = 1;
        for (size_t k = i; k < e && blank; k++)
            blank = is_blank_char(text[k]);
        if (!blank && !in_para)
            out[FEAT_PARAGRAPHS]++;
        in_para = !blank;
        measure_line(text + i, e - i, out, &fences);
        i = e + 1;
    }
    out[FEAT_CODE_BLOCKS] = (fences + 1) / 2;
    /* words */
    double words = 0, syl = 0, sentences = 0;
    if (p)
        p->cur++;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        if (c == '.' || c == '!' || c == '?') {
            sentences++;
            while (i < len && (text[i] == '.' || text[i] == '!' || text[i] == '?'))
                i++;
            continue;
        }
        if (!is_word(c)) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && is_word((unsigned char)text[j]))
            j++;
        const char *w = text + i;
        size_t n = j - i;
        words++;
        syl += syllables(w, n);
        for (size_t k = 0; k < n; k++)
            if (text[i + k] >= '0' && text[i + k] <= '9' &&
                (k == 0 || !(text[i + k - 1] >= '0' && text[i + k - 1] <= '9')))
                out[FEAT_NUMBERS]++;
        if (word_in(w, n, first_person))
            out[FEAT_FIRST_PERSON]++;
        else if (word_in(w, n, second_person))
            out[FEAT_SECOND_PERSON]++;
        else if (word_in(w, n, hedges))
            out[FEAT_HEDGING]++;
        if (p && p->n && n >= OVERLAP_MIN_LEN) {
            size_t slot = prompt_slot(p, w, n);
            if (p->words[slot] && p->stamp[slot] != p->cur) {
                p->stamp[slot] = p->cur;
                out[FEAT_PROMPT_OVERLAP]++;
            }
        }
        i = j;
    }
    if (sentences < 1)
        sentences = 1;
    out[FEAT_READABILITY] =
        words > 0 ? 206.835 - 1.015 * (words / sentences) - 84.6 * (syl / words) : NAN;
    /* substrings of the lower-cased text */
    char *low = xmalloc(len + 1);
    size_t m = 0;
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)text[i] == 0xE2 && i + 2 < len && (unsigned char)text[i + 1] == 0x80 &&
            (unsigned char)text[i + 2] == 0x99) {
            low[m++] = '\'';
            i += 2;
        } else {
            low[m++] = (char)lower((unsigned char)text[i]);
        }
    }
    low[m] = 0;
    out[FEAT_LINKS] = (double)(count_sub(low, "http://") + count_sub(low, "https://"));
    out[FEAT_BOLD] = (double)(count_sub(low, "**") / 2);
    for (const char *const *r = refusals; *r && !out[FEAT_REFUSAL]; r++)
        if (strstr(low, *r))
            out[FEAT_REFUSAL] = 1;
    free(low);
}

int
features_vote(int id, const double *a, const double *b)
{
    if (id < 0 || id >= FEAT__COUNT)
        return ICAI_VOTE_INVALID;
    double x = a[id], y = b[id];
    if (isnan(x) || isnan(y))
        return ICAI_VOTE_NEITHER;
    if (id == FEAT_SHORTER) {
        double t = x;
        x = y;
        y = t;
    }
    if (x > y)
        return ICAI_VOTE_A;
    if (x < y)
        return ICAI_VOTE_B;
    return x > 0 || id == FEAT_READABILITY ? ICAI_VOTE_BOTH : ICAI_VOTE_NEITHER;
}
