//! Report files: CSV and XLSX from the one row shape, named after the report and date.

use super::Report;

pub fn filename(r: &Report, ext: &str) -> String {
    format!("{}-{}-{}.{ext}", r.report, r.group_by, &r.generated_at[..10])
}

const HEADER: [&str; 5] = ["group", "group_label", "metric", "dimension", "value"];

pub fn csv(r: &Report) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER)?;
    for row in &r.rows {
        let label = r.groups.get(&row.group).map(String::as_str).unwrap_or("");
        w.write_record([row.group.as_str(), label, &row.metric, &row.dimension, &row.value.to_string()])?;
    }
    Ok(w.into_inner()?)
}

pub fn xlsx(r: &Report) -> anyhow::Result<Vec<u8>> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(&r.report)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (i, h) in HEADER.iter().enumerate() {
        sheet.write_string_with_format(0, i as u16, *h, &bold)?;
    }
    for (n, row) in r.rows.iter().enumerate() {
        let line = n as u32 + 1;
        sheet.write_string(line, 0, &row.group)?;
        sheet.write_string(line, 1, r.groups.get(&row.group).map(String::as_str).unwrap_or(""))?;
        sheet.write_string(line, 2, &row.metric)?;
        sheet.write_string(line, 3, &row.dimension)?;
        sheet.write_number(line, 4, row.value)?;
    }
    Ok(book.save_to_buffer()?)
}
