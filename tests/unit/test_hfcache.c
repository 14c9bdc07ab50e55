/* formats/hfcache: splits from file names as the Hugging Face hub lays them out. */
#include "formats/hfcache.h"
#include "test.h"

int
main(void)
{
    static const char *const cases[][2] = {
        {"data/train-00000-of-00001.parquet", "train"},
        {"data/train_prefs-00000-of-00001.parquet", "train_prefs"},
        {"data/test_sft-00002-of-00003.parquet", "test_sft"},
        {"harmless-base/test.jsonl.gz", "test"},
        {"train.jsonl", "train"},
        {"data/validation/0000.parquet", "validation"},
        {"default/train/0000.parquet", "train"},
        {"dev.json", "validation"},
        {"valid.csv", "validation"},
        {"eval/part.jsonl.gz", "test"},
        {"my_data_testing.csv", "test"},
        {"data.jsonl", "train"},
        {"contest.jsonl", "train"},
        {"attestation/x.jsonl", "train"},
        {"TEST.JSONL", "test"},
        {"x-of-y.json", "train"},
        {"-00000-of-00001.parquet", "train"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[128];
        hf_split_of(cases[i][0], got, sizeof got);
        if (strcmp(got, cases[i][1]))
            fprintf(stderr, "case %s\n", cases[i][0]);
        CHECK_STREQ(got, cases[i][1]);
    }
    CHECK(hf_is_ref("hf:a/b"));
    CHECK(!hf_is_ref("./hf:a/b"));
    return test_summary();
}
