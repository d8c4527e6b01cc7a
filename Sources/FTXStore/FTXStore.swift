// FTXStore module — placeholder until its issue lands.
public enum FTXStoreModule { public static let name = "FTXStore" }
