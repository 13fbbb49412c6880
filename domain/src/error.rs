//! File-level failures: the file as a whole cannot be checked. Each has a stable code and a
//! Chinese message that tells the clerk what to do.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum FileError {
    #[error("文件是空的，请选择填写好的模板文件。")]
    Empty,
    #[error("文件超过 {} MB 的大小上限，请拆分成几个文件分别上传。", .0 / 1024 / 1024)]
    TooLarge(usize),
    #[error("文件解压后过大或包含的条目过多（疑似压缩炸弹），已拒绝处理。请用 Excel 另存为新的 .xlsx 文件后重新上传。")]
    ZipBomb,
    #[error("文件超过 {0} 行的上限，请拆分成几个文件分别上传。")]
    TooManyRows(usize),
    #[error("文件的单元格数超过 {0} 的上限，请删除无关的行列或拆分文件后上传。")]
    TooManyCells(usize),
    #[error("文件处理超过 {0} 秒的时间上限，请拆分成几个较小的文件后上传。")]
    TooSlow(u64),
    #[error("文件已加密或设置了打开密码，请取消密码后重新上传。")]
    Encrypted,
    #[error("这是一个网页（HTML）文件，只是扩展名为 .xls，无法按表格读取。请用 Excel 或 WPS 打开后“另存为” Excel 工作簿（.xlsx）再上传。")]
    Html,
    #[error("这是一个“XML 电子表格 2003”文件，只是扩展名为 .xls。请用 Excel 或 WPS 打开后“另存为” Excel 工作簿（.xlsx）再上传。")]
    Xml2003,
    #[error("无法识别的文件格式（{0}）。请上传 .xlsx、.xls、.ods 或 .csv 文件。")]
    UnknownFormat(String),
    #[error("文件已损坏或不完整，无法读取（{0}）。请重新保存后上传。")]
    Corrupt(String),
    #[error(
        "没有找到与“{dataset}”模板相符的表头。请使用平台下载的模板，表头至少应包含：{expected}。"
    )]
    NoHeader { dataset: String, expected: String },
    #[error("缺少必填列：{0}。请使用平台下载的最新模板。")]
    MissingColumns(String),
    #[error(
        "这是旧版模板（含“{0}”列），缺少必填列：{1}。请下载最新模板，把数据复制进去后重新上传。"
    )]
    ObsoleteTemplate(String, String),
    #[error("没有可导入的数据行：表头以下是空的。")]
    NoRows,
    #[error("读取文件时程序出错，已中止本次检查（{0}）。请把文件发给信用办技术支持。")]
    ParserPanic(String),
    #[error("未知的数据类型“{0}”。")]
    UnknownDataset(String),
}

impl FileError {
    /// A stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "file_empty",
            Self::TooLarge(_) => "file_too_large",
            Self::ZipBomb => "zip_bomb",
            Self::TooManyRows(_) => "too_many_rows",
            Self::TooManyCells(_) => "too_many_cells",
            Self::TooSlow(_) => "time_limit",
            Self::Encrypted => "file_encrypted",
            Self::Html => "html_disguised_as_xls",
            Self::Xml2003 => "xml_spreadsheet_2003",
            Self::UnknownFormat(_) => "unknown_format",
            Self::Corrupt(_) => "file_corrupt",
            Self::NoHeader { .. } => "header_not_found",
            Self::MissingColumns(_) => "missing_columns",
            Self::ObsoleteTemplate(..) => "obsolete_template",
            Self::NoRows => "no_rows",
            Self::ParserPanic(_) => "parser_panic",
            Self::UnknownDataset(_) => "unknown_dataset",
        }
    }
}
