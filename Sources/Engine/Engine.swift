import COpenBLAS
public enum BLASInfo { public static var coreName: String { String(cString: openblas_get_corename()) } }
