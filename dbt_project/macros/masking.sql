{#- Personal data leaves the restricted schemas only masked (standard.md §8, ARCHITECTURE.md invariant 7): a
    证件号码 keeps its first six and last four characters (440106********1234), a mobile number its first
    three and last four digits (138****5678), a natural person's name its first character. -#}
{% macro mask_id_number(column) -%}
  case
    when {{ column }} is null then null
    when length({{ column }}) > 10
      then substr({{ column }}, 1, 6) || repeat('*', length({{ column }}) - 10) || substr({{ column }}, length({{ column }}) - 3, 4)
    else repeat('*', length({{ column }}))
  end
{%- endmacro %}

{% macro mask_person_name(column) -%}
  case
    when {{ column }} is null then null
    else substr({{ column }}, 1, 1) || repeat('*', greatest(length({{ column }}) - 1, 1))
  end
{%- endmacro %}

{#- Free text (违法事实, 处罚内容, 备注, a file name …) as a unit wrote it may hold personal data anywhere in
    it. `mask_free_text` is the one place it is found and masked; a model applies it where a staged column
    first becomes analyst-facing, and everything downstream reads the masked column.

    Found, in this order (`kinds` chooses a prefix of it; ops_masking counts each kind):
    - `id`: a 居民身份证号 by its shape — 18 characters (region, a birth date 18xx–20xx, sequence, check
      character) or the old 15 digits (region, YYMMDD, sequence) — not touching other digits; and the
      record's own 证件号码 of any type (`id_numbers`), wherever it is written. A number of ID shape whose
      check character is wrong is masked too: it is most likely a mistyped ID, and publishing it would
      publish 17 true digits.
    - `mobile`: 1[3-9] and nine digits, with spaces or hyphens between the 3-4-4 groups, after +86 / 0086
      or not, not touching other digits.
    - `name`: the record's own natural persons' names (`names`: SQL expressions, null when the record has
      none), every occurrence, except inside the record's organisation names (`organisations`: a 法定代表人
      whose name is part of the company's name must not mask the company). Names shorter than two
      characters are left: masking one character everywhere would destroy the text.

    Portable: RE2 (DuckDB) and PostgreSQL's regular expressions share this syntax (no look-around, so a
    boundary character is matched and put back, and each pattern runs twice for two numbers one character
    apart); `replace` with an empty search string changes nothing on both. -#}
{% macro mask_free_text(text, names=[], organisations=[], id_numbers=[], kinds=['id', 'mobile', 'name']) -%}
  {%- set patterns = {
      'id': [
          ("(^|[^0-9])([1-9][0-9]{5})(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])([0-9]{3}[0-9Xx])([^0-9]|$)",
           "\\1\\2********\\3\\4"),
          ("(^|[^0-9])([1-9][0-9]{5})[0-9]{2}(?:0[1-9]|1[0-2])[0-3]([0-9]{4})([^0-9]|$)",
           "\\1\\2*****\\3\\4"),
      ],
      'mobile': [
          ("(^|[^0-9])((?:\\+?86|0086)?[ -]?)(1[3-9][0-9])([ -]?)[0-9]{4}([ -]?)([0-9]{4})([^0-9]|$)",
           "\\1\\2\\3\\4****\\5\\6\\7"),
      ],
  } -%}
  {%- set masked = namespace(sql=text) -%}
  {%- if 'id' in kinds -%}
    {%- for id_number in id_numbers -%}
      {%- set masked.sql = "replace(" ~ masked.sql ~ ", coalesce(case when length(" ~ id_number ~ ") >= 6 then "
          ~ id_number ~ " end, ''), coalesce(" ~ mask_id_number(id_number) ~ ", ''))" -%}
    {%- endfor -%}
  {%- endif -%}
  {%- for kind in ['id', 'mobile'] if kind in kinds -%}
    {%- for pattern, replacement in patterns[kind] -%}
      {%- for _ in range(2) -%}
        {%- set masked.sql = "regexp_replace(" ~ masked.sql ~ ", '" ~ pattern ~ "', '" ~ replacement ~ "', 'g')" -%}
      {%- endfor -%}
    {%- endfor -%}
  {%- endfor -%}
  {%- if 'name' in kinds and names -%}
    {%- for organisation in organisations -%}
      {%- set masked.sql = "replace(" ~ masked.sql ~ ", coalesce(" ~ organisation ~ ", ''), chr(" ~ loop.index ~ "))" -%}
    {%- endfor -%}
    {%- for name in names -%}
      {%- set masked.sql = "replace(" ~ masked.sql ~ ", coalesce(case when length(" ~ name ~ ") >= 2 then " ~ name
          ~ " end, ''), coalesce(" ~ mask_person_name(name) ~ ", ''))" -%}
    {%- endfor -%}
    {%- for organisation in organisations | reverse -%}
      {%- set masked.sql = "replace(" ~ masked.sql ~ ", chr(" ~ (organisations | length - loop.index0) ~ "), coalesce("
          ~ organisation ~ ", ''))" -%}
    {%- endfor -%}
  {%- endif -%}
  {{ masked.sql }}
{%- endmacro %}

{#- The personal data a penalty case (or a coercion case) carries about its own people and organisations,
    as the arguments of mask_free_text; `alias` is the staged relation's alias, `authority` the column naming
    the deciding body. -#}
{% macro case_personal_data(alias, authority='deciding_authority') -%}
  {{ return({
      'names': [
          "case when " ~ alias ~ ".counterparty_type = '自然人' then " ~ alias ~ ".counterparty_name end",
          alias ~ ".counterparty_legal_representative",
      ],
      'organisations': [
          "case when " ~ alias ~ ".counterparty_type <> '自然人' then " ~ alias ~ ".counterparty_name end",
          alias ~ "." ~ authority,
          alias ~ ".data_source_name",
      ],
      'id_numbers': [alias ~ ".counterparty_id_number"],
  }) }}
{%- endmacro %}

{#- An inspection names its party only (检查对象名称); a party without a 统一社会信用代码 is a natural person
    or a 个体工商户 without a code, and is treated as a person. -#}
{% macro inspection_personal_data(alias) -%}
  {{ return({
      'names': ["case when " ~ alias ~ ".inspected_party_credit_code is null then " ~ alias ~ ".inspected_party_name end"],
      'organisations': [],
      'id_numbers': [],
  }) }}
{%- endmacro %}

{#- A 行政许可 carries the same people as a penalty case; its deciding body is the 许可机关. -#}
{% macro license_personal_data(alias) -%}
  {{ return(case_personal_data(alias, authority='licensing_authority')) }}
{%- endmacro %}

{#- Which staged free-text columns each analyst-facing model masks (with whose personal data): the models
    render their columns from this list and ops_masking counts the same list, so the two cannot drift. -#}
{% macro masked_free_text() -%}
  {{ return({
      'fct_penalty_case': {
          'source': 'stg_lake__penalty_cases',
          'personal': case_personal_data,
          'columns': ['violation_type', 'violation_facts', 'penalty_basis', 'penalty_content',
                      'license_suspended', 'remarks'],
      },
      'fct_license': {
          'source': 'stg_lake__licenses',
          'personal': license_personal_data,
          'columns': ['license_content', 'remarks'],
      },
      'fct_inspection': {
          'source': 'stg_lake__inspections',
          'personal': inspection_personal_data,
          'columns': ['inspected_party_name'],
      },
      'ops_batch': {
          'source': 'stg_lake__batches',
          'personal': none,
          'columns': ['unusable_reason', 'source_name'],
      },
      'ops_rejection': {
          'source': 'stg_lake__issues',
          'where': "severity = 'reject'",
          'personal': none,
          'columns': ['value_as_received', 'detail'],
      },
  }) }}
{%- endmacro %}

{#- One masked column of a model (listed in masked_free_text), from the staged relation aliased `alias`. -#}
{% macro masked_column(model_name, column, alias) -%}
  {%- set spec = masked_free_text()[model_name] -%}
  {%- if column not in spec.columns -%}
    {{ exceptions.raise_compiler_error(column ~ " is not a masked free-text column of " ~ model_name ~ " (masked_free_text)") }}
  {%- endif -%}
  {%- set personal = spec.personal(alias) if spec.personal else {} -%}
  {{ mask_free_text(alias ~ '.' ~ column, **personal) }}
{%- endmacro %}

{#- For ops_masking: per model x column x kind, the values in which that kind of personal data was found
    and masked (a value holding two kinds counts once under each). -#}
{% macro masking_counts() -%}
  {%- set selects = [] -%}
  {%- for model_name, spec in masked_free_text().items() -%}
    {%- set personal = spec.personal('staged') if spec.personal else {} -%}
    {%- for column in spec.columns -%}
      {%- set stages = ['staged.' ~ column] -%}
      {%- for kinds in [['id'], ['id', 'mobile'], ['id', 'mobile', 'name']] -%}
        {%- do stages.append(mask_free_text('staged.' ~ column, kinds=kinds, **personal)) -%}
      {%- endfor -%}
      {%- for kind in ['id', 'mobile', 'name'] -%}
        {%- do selects.append(
            "select '" ~ model_name ~ "' as model_name, '" ~ column ~ "' as column_name, '" ~ kind ~ "' as data_kind, "
            ~ "cast(coalesce(sum(case when " ~ stages[loop.index] ~ " <> " ~ stages[loop.index0] ~ " then 1 else 0 end), 0)"
            ~ " as bigint) as values_masked, cast(count(staged." ~ column ~ ") as bigint) as values_scanned "
            ~ "from " ~ ref(spec.source) ~ " as staged"
            ~ (" where " ~ spec.where if spec.where else "")) -%}
      {%- endfor -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ selects | join('\nunion all\n') }}
{%- endmacro %}
