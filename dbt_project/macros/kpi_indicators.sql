{#-
    The 19 indicators of docs/indicators.md, in that page's order: the one place that
    lists them. dim_indicators renders this list; the KPI models use it to (un)pivot.

    group   = the source whose data decides which years appear ("Which years appear")
    better  = higher | lower | none (volumes, "–" in the contract)
-#}
{% macro kpi_indicators() %}
    {{ return([
        {
            'code': 'dossiers_received', 'group': 'portal', 'unit': 'count', 'better': 'none',
            'name_vi': 'Số hồ sơ tiếp nhận',
            'name_en': 'Dossiers received',
            'definition': 'dossiers with received_at in Y',
        },
        {
            'code': 'online_submission_rate', 'group': 'portal', 'unit': 'ratio', 'better': 'higher',
            'name_vi': 'Tỷ lệ hồ sơ nộp trực tuyến',
            'name_en': 'Online submission rate',
            'definition': 'of the dossiers received in Y, share with channel = 2',
        },
        {
            'code': 'postal_submission_rate', 'group': 'portal', 'unit': 'ratio', 'better': 'higher',
            'name_vi': 'Tỷ lệ hồ sơ nộp qua dịch vụ bưu chính công ích',
            'name_en': 'Postal submission rate',
            'definition': 'of the dossiers received in Y, share with channel = 3',
        },
        {
            'code': 'dossiers_finished', 'group': 'portal', 'unit': 'count', 'better': 'none',
            'name_vi': 'Số hồ sơ đã giải quyết',
            'name_en': 'Dossiers finished',
            'definition': 'dossiers with finished_at in Y',
        },
        {
            'code': 'on_time_rate', 'group': 'portal', 'unit': 'ratio', 'better': 'higher',
            'name_vi': 'Tỷ lệ hồ sơ giải quyết đúng hạn',
            'name_en': 'On-time rate',
            'definition': 'among dossiers finished in Y with due_at known, share on_time',
        },
        {
            'code': 'avg_processing_days', 'group': 'portal', 'unit': 'days', 'better': 'lower',
            'name_vi': 'Thời gian giải quyết trung bình (ngày)',
            'name_en': 'Average processing time (days)',
            'definition': 'mean of (finished_at - received_at) in days, dossiers finished in Y that were received',
        },
        {
            'code': 'overdue_open_at_year_end', 'group': 'portal', 'unit': 'count', 'better': 'lower',
            'name_vi': 'Số hồ sơ quá hạn chưa giải quyết cuối năm',
            'name_en': 'Overdue open dossiers at year end',
            'definition': 'dossiers received by end of Y, not finished by end of Y, with due_at before end of Y',
        },
        {
            'code': 'online_services_level3', 'group': 'catalog', 'unit': 'count', 'better': 'higher',
            'name_vi': 'Số dịch vụ công trực tuyến mức độ 3',
            'name_en': 'Online public services at level 3',
            'definition': 'distinct procedures whose catalogue row in force on 31 Dec Y has MucDo 3',
        },
        {
            'code': 'online_services_level4', 'group': 'catalog', 'unit': 'count', 'better': 'higher',
            'name_vi': 'Số dịch vụ công trực tuyến mức độ 4',
            'name_en': 'Online public services at level 4',
            'definition': 'distinct procedures whose catalogue row in force on 31 Dec Y has MucDo 4',
        },
        {
            'code': 'online_services_used_rate', 'group': 'catalog', 'unit': 'ratio', 'better': 'higher',
            'name_vi': 'Tỷ lệ dịch vụ công trực tuyến mức độ 3, 4 có phát sinh hồ sơ trực tuyến',
            'name_en': 'Level 3/4 online services used online',
            'definition': 'among procedures at level 3 or 4 on 31 Dec Y, share that received at least one dossier in Y through channel 2',
        },
        {
            'code': 'online_payment_rate', 'group': 'portal', 'unit': 'ratio', 'better': 'higher',
            'name_vi': 'Tỷ lệ hồ sơ có thanh toán trực tuyến',
            'name_en': 'Online payment rate',
            'definition': 'among dossiers received in Y whose procedure had CoPhiLePhi = 1 on the received date, share paid_online',
        },
        {
            'code': 'postal_return_rate', 'group': 'portal', 'unit': 'ratio', 'better': 'higher',
            'name_vi': 'Tỷ lệ hồ sơ trả kết quả qua dịch vụ bưu chính công ích',
            'name_en': 'Results returned by public postal service',
            'definition': 'among dossiers finished in Y, share result_by_post',
        },
        {
            'code': 'postal_result_shipments', 'group': 'postal', 'unit': 'count', 'better': 'none',
            'name_vi': 'Số bưu gửi chuyển trả kết quả',
            'name_en': 'Result shipments',
            'definition': 'Chuyển trả kết quả shipments accepted in Y',
        },
        {
            'code': 'postal_delivery_success_rate', 'group': 'postal', 'unit': 'ratio', 'better': 'higher',
            'name_vi': 'Tỷ lệ bưu gửi kết quả phát thành công',
            'name_en': 'Result delivery success rate',
            'definition': 'among Chuyển trả kết quả shipments accepted in Y with a final status, share Phát thành công',
        },
        {
            'code': 'postal_avg_delivery_days', 'group': 'postal', 'unit': 'days', 'better': 'lower',
            'name_vi': 'Thời gian phát kết quả trung bình (ngày)',
            'name_en': 'Average result delivery time (days)',
            'definition': 'mean of (Ngày phát - Ngày chấp nhận) in days, Phát thành công result shipments accepted in Y',
        },
        {
            'code': 'postal_unmatched_shipments', 'group': 'postal', 'unit': 'count', 'better': 'lower',
            'name_vi': 'Số bưu gửi không khớp hồ sơ',
            'name_en': 'Shipments matching no dossier',
            'definition': 'shipments of either kind accepted in Y whose Mã hồ sơ is empty or matches no dossier in the portal log',
        },
        {
            'code': 'mailboxes_issued', 'group': 'mailbox', 'unit': 'count', 'better': 'higher',
            'name_vi': 'Số hộp thư điện tử công vụ đã cấp',
            'name_en': 'Official mailboxes issued',
            'definition': "sum over agencies of Tổng số hộp thư đã cấp in each agency's last report month within Y",
        },
        {
            'code': 'mailboxes_new', 'group': 'mailbox', 'unit': 'count', 'better': 'none',
            'name_vi': 'Số hộp thư cấp mới trong năm',
            'name_en': 'Mailboxes newly issued',
            'definition': 'sum of Cấp mới trong kỳ over report months in Y',
        },
        {
            'code': 'mailbox_active_rate', 'group': 'mailbox', 'unit': 'ratio', 'better': 'higher',
            'name_vi': 'Tỷ lệ hộp thư đang sử dụng',
            'name_en': 'Active mailbox rate',
            'definition': 'sum of Số hộp thư đang sử dụng / sum of Tổng số hộp thư đã cấp, same months as mailboxes_issued',
        },
    ]) }}
{% endmacro %}


{#- Codes of the indicators of one group (portal, postal, mailbox, catalog). -#}
{% macro kpi_indicator_codes(group=none) %}
    {%- set codes = [] -%}
    {%- for indicator in kpi_indicators() -%}
        {%- if group is none or indicator.group == group -%}
            {%- do codes.append(indicator.code) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(codes) }}
{% endmacro %}
