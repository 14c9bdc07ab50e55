/* placeholder so the module library is never empty */
typedef int ps_llm_placeholder;
