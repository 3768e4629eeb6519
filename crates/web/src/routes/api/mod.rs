use crate::routes::Routes;

pub fn add(_r: &mut Routes) {}
