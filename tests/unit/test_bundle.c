/* test_bundle.c — a bundle's running order: the manifest as `muqir bundle`
 * writes it, the playlist when there is no manifest (or a damaged one),
 * titles, paths, and every way a list can be wrong, each said with the file
 * and, for JSON syntax (jansson's messages), the line and column. Every prefix of a manifest is read
 * without a crash (ASan checks the rest). */
#include "mq_test.h"
#include "live/mq_bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];

static void put(const char *name, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", root, name);
    FILE *f = fopen(p, "wb");
    fputs(text, f);
    fclose(f);
}

static const char *at(const char *name)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", root, name);
    return p[k];
}

static const char *MANIFEST =
    "{\n"
    "  \"format\": \"muqir-bundle-1\",\n"
    "  \"title\": \"牧区通知\",\n"
    "  \"program\": \"p.yaml\",\n"
    "  \"audio\": \"mp3\",\n"
    "  \"loudness\": -23.0,\n"
    "  \"items\": [\n"
    "    {\"index\": 1, \"kind\": \"clip\", \"name\": \"提示音\", \"file\": \"01-提示音.mp3\", "
    "\"seconds\": 1.500, \"text\": null, \"sha256\": \"8e9f\", \"key\": \"9f77\"},\n"
    "    {\"index\": 3, \"kind\": \"announce\", \"name\": null, \"file\": \"03-通知.mp3\", "
    "\"seconds\": 0.397, \"text\": \"冬季草原防火，请拨打12119。\\n第二行\", \"sha256\": \"ab4e\"},\n"
    "    {\"index\": 4, \"kind\": \"music\", \"name\": null, \"file\": \"sub/04.mp3\", "
    "\"seconds\": 12, \"text\": null, \"extra\": {\"a\": [1, 2.5e3, true, false, null, \"\\u4e2d\"]}},\n"
    "    {\"index\": 5, \"kind\": \"announce\", \"name\": \"a\\tb\\u001b[31m\\ud83d\\ude00\", "
    "\"file\": \"/abs/05.mp3\", \"text\": \"一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十\"}\n"
    "  ]\n"
    "}\n";

static void test_manifest(void)
{
    mq_bundle *b = NULL;
    mq_error err = { 0 };
    put("manifest.json", MANIFEST);
    CHECK_INT(mq_bundle_open(root, &b, &err), MQ_OK, "a folder with a manifest is a bundle");
    if (!b)
        return;
    CHECK_INT(mq_bundle_count(b), 4, "four items, in order");
    CHECK_STR(mq_bundle_title(b), "牧区通知", "the bundle's title");
    CHECK_STR(mq_bundle_list(b), at("manifest.json"), "the manifest was read");
    CHECK(mq_bundle_note(b) == NULL, "with nothing to note");
    const mq_bundle_item *it = mq_bundle_get(b, 0);
    CHECK_STR(it->path, at("01-提示音.mp3"), "a file's path is in the bundle's folder");
    CHECK_STR(it->file, "01-提示音.mp3", "the file as listed");
    CHECK_STR(it->title, "提示音", "the title is the item's name");
    CHECK_STR(it->kind, "clip", "its kind");
    CHECK_NEAR(it->seconds, 1.5, 1e-9, "its length");
    it = mq_bundle_get(b, 1);
    CHECK_STR(it->title, "冬季草原防火，请拨打12119。", "no name: the text's first line");
    it = mq_bundle_get(b, 2);
    CHECK_STR(it->title, "04.mp3", "no name, no text: the file's name");
    CHECK_STR(it->path, at("sub/04.mp3"), "a file in a subfolder");
    CHECK_NEAR(it->seconds, 12, 1e-9, "an integer length");
    it = mq_bundle_get(b, 3);
    CHECK_STR(it->title, "a b [31m\xF0\x9F\x98\x80", "escapes decoded, control characters made spaces");
    CHECK_STR(it->path, "/abs/05.mp3", "an absolute path is kept");
    CHECK_NEAR(it->seconds, -1, 0, "no length: -1");
    CHECK(mq_bundle_get(b, 4) == NULL, "no fifth item");
    mq_bundle_free(b);

    /* The same manifest named directly, and the folder with a trailing slash. */
    CHECK_INT(mq_bundle_open(at("manifest.json"), &b, &err), MQ_OK, "the manifest itself");
    CHECK_STR(b ? mq_bundle_get(b, 0)->path : NULL, at("01-提示音.mp3"), "paths from its folder");
    mq_bundle_free(b);
    char slash[128];
    snprintf(slash, sizeof slash, "%s/", root);
    CHECK_INT(mq_bundle_open(slash, &b, &err), MQ_OK, "the folder with a trailing slash");
    CHECK_STR(b ? mq_bundle_get(b, 0)->path : NULL, at("01-提示音.mp3"), "gives the same paths");
    mq_bundle_free(b);

    /* A title made from a long text is cut after 24 characters, with an ellipsis. */
    put("manifest.json", "{\"items\": [{\"file\": \"x.wav\", \"text\": "
        "\"一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十\"}]}");
    CHECK_INT(mq_bundle_open(root, &b, &err), MQ_OK, "a minimal manifest");
    CHECK_STR(b ? mq_bundle_get(b, 0)->title : NULL, "一二三四五六七八九十一二三四五六七八九十一二三四…",
              "a long text's first 24 characters and …");
    CHECK(b && strlen(mq_bundle_title(b)) > 0, "without a title: the folder's name");
    mq_bundle_free(b);
}

/* OPEN fails with CODE and a message containing TEXT. */
static void refused(const char *path, int code, const char *text, const char *desc)
{
    mq_bundle *b = (mq_bundle *)1;
    mq_error err = { 0 };
    CHECK_INT(mq_bundle_open(path, &b, &err), code, desc);
    CHECK_HAS(err.msg, text, desc);
    CHECK(b == NULL, "and gives no bundle");
}

static void test_bad(void)
{
    remove(at("playlist.m3u"));
    put("manifest.json", "{\n  \"items\": [\n    {\"file\": \"a.wav\"}\n    {\"file\": \"b.wav\"}\n  ]\n}\n");
    char want[256];
    snprintf(want, sizeof want, "%s:4:5: ']' expected near '{'", at("manifest.json"));
    refused(root, MQ_EINPUT, want, "a missing comma: FILE:LINE:COLUMN (jansson's words)");
    put("manifest.json", "{\"items\": [{\"file\": \"a.wav\"},\n  {\"name\": \"x\"}]}");
    snprintf(want, sizeof want, "%s: item 2 has no \"file\"", at("manifest.json"));
    refused(root, MQ_EINPUT, want, "an item without a file, named by its number");
    put("manifest.json", "{\"items\": []}");
    refused(root, MQ_EINPUT, "the bundle lists no items", "an empty list");
    put("manifest.json", "{\"title\": \"x\"}");
    refused(root, MQ_EINPUT, "not a bundle's manifest: it has no \"items\" list", "no items key");
    put("manifest.json", "[1, 2]");
    refused(root, MQ_EINPUT, "expected an object", "a list, not an object");
    put("manifest.json", "{\"items\": [{\"file\": \"a.wav\"}]} trailing");
    refused(root, MQ_EINPUT, ":1:39: end of file expected near 'trailing'", "text after the end");
    put("manifest.json", "{\"items\": [{\"file\": \"a\x01.wav\"}]}");
    refused(root, MQ_EINPUT, ":1:22: control character 0x1", "a raw control character");
    put("manifest.json", "{\"items\": [{\"file\": \"a\\q.wav\"}]}");
    refused(root, MQ_EINPUT, "invalid escape", "a bad escape");
    put("manifest.json", "{\"items\": [{\"file\": \"a.wav\", \"seconds\": 1.}]}");
    refused(root, MQ_EINPUT, "invalid token near '1.'", "a bad number");
    put("manifest.json", "{\"items\": [{\"file\": 3}]}");
    refused(root, MQ_EINPUT, "item 1: \"file\" must be a string", "a file that is not a string");
    /* jansson stops at 2048 levels: deeper is refused, not recursed into. */
    char *deep = malloc(2 * 3000 + 16);
    strcpy(deep, "{\"x\": ");
    size_t dn = strlen(deep);
    for (int i = 0; i < 3000; i++)
        deep[dn++] = '[';
    for (int i = 0; i < 3000; i++)
        deep[dn++] = ']';
    strcpy(deep + dn, "}");
    put("manifest.json", deep);
    free(deep);
    refused(root, MQ_EINPUT, "maximum parsing depth reached", "deep nesting is refused");
    put("manifest.json", "{\"items\": [{\"file\": \"a.wav\", \"file\": \"b.wav\"}]}");
    refused(root, MQ_EINPUT, "duplicate object key", "a key given twice is refused");
    put("manifest.json", "");
    refused(root, MQ_EINPUT, "'[' or '{' expected near end of file", "an empty manifest");

    /* Every prefix of a good manifest: refused or read, never a crash. */
    size_t n = strlen(MANIFEST), ok = 0, bad = 0;
    char *buf = malloc(n + 1);
    for (size_t k = 0; k <= n; k++) {
        memcpy(buf, MANIFEST, k);
        buf[k] = '\0';
        put("manifest.json", buf);
        mq_bundle *b = NULL;
        mq_error err = { 0 };
        int rc = mq_bundle_open(root, &b, &err);
        if (rc == MQ_OK)
            ok++;
        else if (rc == MQ_EINPUT && strstr(err.msg, "manifest.json:"))
            bad++;
        mq_bundle_free(b);
    }
    free(buf);
    CHECK_INT(bad, n - 1, "every cut manifest is refused with a located message");
    CHECK_INT(ok, 2, "only the whole one (with or without its last newline) is read");

    /* Folders that are not bundles, and paths that are not there. */
    char empty[128];
    snprintf(empty, sizeof empty, "%s/empty", root);
    mkdir(empty, 0755);
    refused(empty, MQ_EINPUT, "not a muqir bundle: the folder is empty", "an empty folder");
    put("empty/notes.txt", "hello");
    refused(empty, MQ_EINPUT, "not a muqir bundle: it has no manifest.json or playlist.m3u",
            "a folder of other files");
    remove(at("empty/notes.txt"));
    refused(at("nothing-here"), MQ_EINPUT, "no such folder or file", "a path that does not exist");
}

static void test_playlist(void)
{
    remove(at("manifest.json"));
    put("playlist.m3u", "\xEF\xBB\xBF#EXTM3U\r\n#PLAYLIST:牧区通知\r\n#EXTINF:2,提示音\r\n"
        "01-提示音.mp3\r\n\r\n# a comment\r\n03-通知.mp3\r\n#EXTINF:7,音乐\r\n/abs/music.ogg\r\n"
        "file:///abs/x.wav\n");
    mq_bundle *b = NULL;
    mq_error err = { 0 };
    CHECK_INT(mq_bundle_open(root, &b, &err), MQ_OK, "a folder with only a playlist is a bundle");
    if (!b)
        return;
    CHECK_STR(mq_bundle_list(b), at("playlist.m3u"), "the playlist was read");
    CHECK_INT(mq_bundle_count(b), 4, "four entries");
    CHECK_STR(mq_bundle_title(b), "牧区通知", "#PLAYLIST is the title");
    CHECK_STR(mq_bundle_get(b, 0)->title, "提示音", "#EXTINF's title");
    CHECK_NEAR(mq_bundle_get(b, 0)->seconds, 2, 0, "#EXTINF's length");
    CHECK_STR(mq_bundle_get(b, 0)->path, at("01-提示音.mp3"), "CRLF and a BOM are no part of names");
    CHECK_STR(mq_bundle_get(b, 1)->title, "03-通知.mp3", "no #EXTINF: the file's name");
    CHECK_NEAR(mq_bundle_get(b, 1)->seconds, -1, 0, "and no length");
    CHECK_STR(mq_bundle_get(b, 2)->path, "/abs/music.ogg", "absolute paths are kept");
    CHECK_STR(mq_bundle_get(b, 3)->path, "/abs/x.wav", "file:// is a local path");
    CHECK_STR(mq_bundle_get(b, 0)->kind, "", "a playlist has no kinds");
    mq_bundle_free(b);

    /* A damaged manifest beside the playlist: the playlist is read, and the
     * manifest's problem noted. Named directly, the manifest is not replaced. */
    put("manifest.json", "{\"items\": [");
    CHECK_INT(mq_bundle_open(root, &b, &err), MQ_OK, "a damaged manifest falls back to the playlist");
    CHECK_STR(b ? mq_bundle_list(b) : NULL, at("playlist.m3u"), "the playlist is what was read");
    CHECK_HAS(b ? mq_bundle_note(b) : NULL, "manifest.json:1:11:", "the manifest's problem is noted");
    CHECK_INT(b ? mq_bundle_count(b) : 0, 4, "all the playlist's entries");
    mq_bundle_free(b);
    refused(at("manifest.json"), MQ_EINPUT, "manifest.json:1:11:", "the damaged manifest named directly");
    CHECK_INT(mq_bundle_open(at("playlist.m3u"), &b, &err), MQ_OK, "the playlist named directly");
    mq_bundle_free(b);
    put("playlist.m3u", "#EXTM3U\n# nothing\n");
    refused(root, MQ_EINPUT, "manifest.json:1:11:",
            "both damaged: the manifest's problem is the one said");
    remove(at("manifest.json"));
    refused(root, MQ_EINPUT, "playlist.m3u: the bundle lists no items", "an empty playlist");
}

static void test_is_path(void)
{
    CHECK(mq_bundle_is_path(root), "a folder names a bundle");
    CHECK(mq_bundle_is_path("pack/"), "so does a path ending in '/', even one not there");
    CHECK(mq_bundle_is_path("x/manifest.json"), "a manifest");
    CHECK(mq_bundle_is_path("x/playlist.M3U"), "a playlist");
    CHECK(mq_bundle_is_path("x/list.m3u8"), "an m3u8 playlist");
    CHECK(!mq_bundle_is_path("scripts/field-pack.yaml"), "a program does not");
    CHECK(!mq_bundle_is_path("x/other.json"), "nor another JSON file");
    CHECK(!mq_bundle_is_path(""), "nor nothing");
}

int main(void)
{
    snprintf(root, sizeof root, "/tmp/mq_test_bundle_XXXXXX");
    if (!mkdtemp(root))
        return 1;
    test_manifest();
    test_bad();
    test_playlist();
    test_is_path();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd))
        printf("(could not remove %s)\n", root);
    MQ_TEST_END();
}
