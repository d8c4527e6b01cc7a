// FTXData module — placeholder until its issue lands.
public enum FTXDataModule { public static let name = "FTXData" }
