// FTXTrain module — placeholder until its issue lands.
public enum FTXTrainModule { public static let name = "FTXTrain" }
